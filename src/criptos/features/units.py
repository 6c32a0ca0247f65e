"""The unit of every feature column: what changes when an asset is redenominated.

Most features are already scale-free (returns, ratios, z-scores, oscillators,
categories). The rest carry the asset's price or volume scale, which differs by
orders of magnitude across coins and years; models see them through
``criptos.modeling.scale_free``. Every column of the feature table is listed in
exactly one group (a test checks it), so a new feature must say what it is.
"""

from __future__ import annotations

PRICE_REFERENCE = "fechamento"
VOLUME_REFERENCE = "volume_mm_20"

# Positive prices: seen as log(column / fechamento).
PRICE_LEVELS: tuple[str, ...] = (
    "abertura",
    "maximo",
    "minimo",
    "fech_prev",
    "abert_prev",
    "valor_mm_5",
    "abertura_mm_5",
    "valor_mm_20",
    "abertura_mm_20",
    "valor_mm_50",
    "abertura_mm_50",
    "mediana_20",
    "preco_medio_volume",
    "max_acum",
)
# Price differences and dispersions (zero or either sign): seen as column / fechamento.
PRICE_SPANS: tuple[str, ...] = (
    "mad_20",
    "iqr_20",
    "atr_14",
    "shadow_superior",
    "shadow_inferior",
    "candle_corpo",
)
# Traded value (quote currency): seen as log(column / volume_mm_20).
VOLUME_LEVELS: tuple[str, ...] = ("volumeto", "vol_prev", "volume_mm_5", "volume_mm_50")
# Levels with no scale-free form worth keeping: the two references themselves,
# the volume in coin units (redenominated the other way; volumeto carries it) and the
# return since the asset's first candle (depends on where its history starts).
LEFT_OUT: tuple[str, ...] = (
    PRICE_REFERENCE,
    VOLUME_REFERENCE,
    "volumefrom",
    "retorno_acumulado",
)
SCALE_FREE: tuple[str, ...] = (
    "ativo",
    "data",
    "retorno_diario",
    "retorno_log",
    "retorno_log_3",
    "retorno_log_7",
    "retorno_log_14",
    "retorno_log_30",
    "fech_rel_mm_5",
    "fech_rel_mm_20",
    "fech_rel_mm_50",
    "volatilidade_5",
    "volatilidade_10",
    "volatilidade_20",
    "volatilidade_60",
    "z_robusto_20",
    "parkinson_10",
    "rsi_14",
    "estocastico_14",
    "pos_no_range",
    "vol_pct_change",
    "volume_z_rob_20",
    "drawdown",
    "candle_direcao",
    "dia_semana",
    "mes",
    "fechamento_categoria",
    "volume_categoria",
)
