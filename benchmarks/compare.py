"""Result checks of the feature benchmark: seed features vs the reference, incremental vs full."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import fsspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from criptos.feature_store.parts import PartsTable

logger = logging.getLogger(__name__)

RELATIVE_TOLERANCE = 1e-9
# pandas' rolling mean/std add and remove values as the window slides, so its error
# grows with the largest magnitude the asset has seen (about 1e-16 of it per step),
# not with the value itself. Rows off by more than 1e-9 relative are still counted
# as equal when within this share of the asset's largest magnitude in that column.
ASSET_SCALE_TOLERANCE = 1e-12
SEED_FEATURES = (
    "fech_prev", "abert_prev", "vol_prev", "retorno_diario", "retorno_log", "retorno_acumulado",
    "valor_mm_5", "valor_mm_20", "abertura_mm_5", "abertura_mm_20", "volume_mm_5", "volume_mm_20",
    "volatilidade_5", "mediana_20", "mad_20", "iqr_20", "z_robusto_20", "parkinson_10", "atr_14",
    "pos_no_range", "shadow_superior", "shadow_inferior", "candle_corpo", "candle_direcao",
    "vol_pct_change", "volume_z_rob_20", "preco_medio_volume", "max_acum", "drawdown",
    "dia_semana", "mes", "fechamento_categoria", "volume_categoria",
)  # fmt: skip


def _sorted(path: Path, columns: list[str]) -> pd.DataFrame:
    frame = pd.read_parquet(path, columns=["ativo", "data", *columns])  # either layout
    frame["data"] = pd.to_datetime(frame["data"]).astype("datetime64[ns]")
    return frame.sort_values(["ativo", "data"], kind="stable").reset_index(drop=True)


def _numbers_agree(
    assets: pd.Series, mine: np.ndarray, theirs: np.ndarray
) -> tuple[np.ndarray, int]:
    """Rows that agree, and how many of them needed the asset-scale tolerance."""
    strict = np.isclose(mine, theirs, rtol=RELATIVE_TOLERANCE, atol=0.0, equal_nan=True)
    if strict.all():
        return strict, 0
    scale = (
        pd.Series(np.abs(theirs)).groupby(assets.to_numpy()).transform("max").to_numpy()
    )
    loose = np.abs(mine - theirs) <= ASSET_SCALE_TOLERANCE * scale
    same = strict | loose
    return same, int((same & ~strict).sum())


@dataclass(frozen=True)
class SeedComparison:
    """Rows per seed feature that disagree, and that agree only at the asset scale."""

    mismatches: dict[str, int]
    asset_scale: dict[str, int]


def compare_seed_features(project: Path, reference: Path) -> SeedComparison:
    """Rows per seed feature where the project and the reference disagree.

    Numbers agree within a relative tolerance of 1e-9 (NaN equals NaN), or, for the
    reference's running-sum rounding, within ``ASSET_SCALE_TOLERANCE`` of the
    asset's largest magnitude (logged); labels agree exactly.
    """
    mine = _sorted(project, list(SEED_FEATURES))
    theirs = _sorted(reference, list(SEED_FEATURES))
    if len(mine) != len(theirs) or not mine[["ativo", "data"]].equals(
        theirs[["ativo", "data"]]
    ):
        return SeedComparison(
            {"(rows: ativo, data)": abs(len(mine) - len(theirs)) or 1}, {}
        )
    mismatches: dict[str, int] = {}
    asset_scale: dict[str, int] = {}
    for column in SEED_FEATURES:
        left, right = mine[column], theirs[column]
        if pd.api.types.is_numeric_dtype(left) and pd.api.types.is_numeric_dtype(right):
            same, scaled = _numbers_agree(
                mine["ativo"], left.to_numpy(np.float64), right.to_numpy(np.float64)
            )
            if scaled:
                asset_scale[column] = scaled
                logger.info(
                    "%s: %d rows agree only within %.0e of the asset's largest magnitude",
                    column, scaled, ASSET_SCALE_TOLERANCE,
                )  # fmt: skip
        else:
            a, b = left.astype(object), right.astype(object)
            same = (a == b).to_numpy(bool) | (a.isna() & b.isna()).to_numpy(bool)
        if not same.all():
            mismatches[column] = int((~same).sum())
            logger.warning("%s differs on %d rows, e.g. %s", column, mismatches[column],
                           mine.loc[~same, ["ativo", "data"]].head(3).to_dict("records"))  # fmt: skip
    return SeedComparison(mismatches, asset_scale)


def _table(path: Path) -> pa.Table:
    """A feature table, either layout, in (ativo, data) order."""
    if path.is_dir():
        return PartsTable.open(fsspec.filesystem("file"), str(path)).read()
    return pq.read_table(path)


def tables_identical(left: Path, right: Path) -> bool:
    """Whether two feature tables (files or folders) hold exactly the same rows,
    values and types, in the same order."""
    return _table(left).equals(_table(right), check_metadata=False)
