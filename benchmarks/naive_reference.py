"""The naive reference: the seed's features computed the way the seed did.

``pandas.read_csv``, then one ``groupby("ativo")[col].transform(lambda s: s.rolling(...))``
per column (a Python lambda per asset and column),
then ``to_parquet``. The true MAD has no rolling builtin; it is computed per asset
with numpy inside the lambda. Run as a whole process by ``benchmarks.feature_benchmark``::

    python -m benchmarks.naive_reference RAW_CSV OUTPUT_PARQUET
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

logger = logging.getLogger("naive_reference")

MAD_TO_SIGMA = 1.4826
DOJI_BODY_SHARE = 0.1


def _rolling_mad(s: pd.Series, window: int = 20) -> pd.Series:
    """Median absolute deviation of each full window of one asset (numpy per asset).

    ``s.rolling(w).apply(python_mad)`` costs a Python call per row (minutes at 7 M
    rows); the seed's timing implies a per-asset vectorized MAD like this one.
    """
    out = np.full(len(s), np.nan)
    if len(s) >= window:
        windows = np.lib.stride_tricks.sliding_window_view(
            s.to_numpy(dtype=float), window
        )
        median = np.median(windows, axis=1, keepdims=True)
        out[window - 1 :] = np.median(np.abs(windows - median), axis=1)
    return pd.Series(out, index=s.index)


def _compare(current: pd.Series, previous: pd.Series) -> pd.Series:
    labels = np.where(
        current > previous, "acima", np.where(current < previous, "abaixo", "igual")
    )
    return pd.Series(labels, index=current.index).where(
        previous.notna() & current.notna()
    )


def seed_features(df: pd.DataFrame) -> pd.DataFrame:
    """The seed feature set, one grouped transform per column."""
    df = df.sort_values(["ativo", "data"]).reset_index(drop=True)
    by_asset = df.groupby("ativo")
    df["fech_prev"] = by_asset["fechamento"].transform(lambda s: s.shift(1))
    df["abert_prev"] = by_asset["abertura"].transform(lambda s: s.shift(1))
    df["vol_prev"] = by_asset["volumeto"].transform(lambda s: s.shift(1))
    df["retorno_diario"] = df["fechamento"] / df["fech_prev"] - 1
    df["retorno_log"] = np.log(df["fechamento"] / df["fech_prev"])
    df["retorno_acumulado"] = by_asset["fechamento"].transform(
        lambda s: s / s.iloc[0] - 1
    )
    for window in (5, 20):
        df[f"valor_mm_{window}"] = by_asset["fechamento"].transform(
            lambda s, w=window: s.rolling(w).mean()
        )
        df[f"abertura_mm_{window}"] = by_asset["abertura"].transform(
            lambda s, w=window: s.rolling(w).mean()
        )
        df[f"volume_mm_{window}"] = by_asset["volumeto"].transform(
            lambda s, w=window: s.rolling(w).mean()
        )
    df["volatilidade_5"] = df.groupby("ativo")["retorno_log"].transform(
        lambda s: s.rolling(5).std()
    )
    df["mediana_20"] = by_asset["fechamento"].transform(
        lambda s: s.rolling(20).median()
    )
    df["mad_20"] = by_asset["fechamento"].transform(_rolling_mad)
    df["iqr_20"] = by_asset["fechamento"].transform(
        lambda s: s.rolling(20).quantile(0.75) - s.rolling(20).quantile(0.25)
    )
    df["z_robusto_20"] = (df["fechamento"] - df["mediana_20"]) / (
        MAD_TO_SIGMA * df["mad_20"]
    )
    df["log_hl_sq"] = np.log(df["maximo"] / df["minimo"]) ** 2
    df["parkinson_10"] = np.sqrt(
        df.groupby("ativo")["log_hl_sq"].transform(lambda s: s.rolling(10).mean())
        / (4 * np.log(2))
    )
    df["true_range"] = np.fmax(
        df["maximo"] - df["minimo"],
        np.fmax(
            (df["maximo"] - df["fech_prev"]).abs(),
            (df["minimo"] - df["fech_prev"]).abs(),
        ),
    )
    df["atr_14"] = df.groupby("ativo")["true_range"].transform(
        lambda s: s.rolling(14).mean()
    )
    day_range = df["maximo"] - df["minimo"]
    body = df["fechamento"] - df["abertura"]
    df["pos_no_range"] = (df["fechamento"] - df["minimo"]) / day_range
    df["shadow_superior"] = df["maximo"] - df[["abertura", "fechamento"]].max(axis=1)
    df["shadow_inferior"] = df[["abertura", "fechamento"]].min(axis=1) - df["minimo"]
    df["candle_corpo"] = body.abs()
    df["candle_direcao"] = np.where(
        body.abs() <= DOJI_BODY_SHARE * day_range,
        "doji",
        np.where(body > 0, "bull", "bear"),
    )
    df["vol_pct_change"] = df["volumeto"] / df["vol_prev"] - 1
    volume_median = by_asset["volumeto"].transform(lambda s: s.rolling(20).median())
    volume_mad = by_asset["volumeto"].transform(_rolling_mad)
    df["volume_z_rob_20"] = (df["volumeto"] - volume_median) / (
        MAD_TO_SIGMA * volume_mad
    )
    df["preco_medio_volume"] = df["volumeto"] / df["volumefrom"]
    df["max_acum"] = by_asset["fechamento"].transform(lambda s: s.cummax())
    df["drawdown"] = df["fechamento"] / df["max_acum"] - 1
    df["dia_semana"] = df["data"].dt.day_of_week
    df["mes"] = df["data"].dt.month
    df["fechamento_categoria"] = _compare(df["fechamento"], df["fech_prev"])
    df["volume_categoria"] = _compare(df["volumeto"], df["vol_prev"])
    df = df.drop(columns=["log_hl_sq", "true_range"])
    return df.replace([np.inf, -np.inf], np.nan)


def main(raw_csv: Path, output: Path) -> None:
    """Read, compute and write, logging the seconds of each step."""
    started = time.perf_counter()
    df = pd.read_csv(raw_csv, sep="|", parse_dates=["data"])
    read = time.perf_counter()
    features = seed_features(df)
    computed = time.perf_counter()
    features.to_parquet(output, compression="snappy", index=False)
    logger.info(
        "naive reference: read %.1f s, features %.1f s, write %.1f s",
        read - started,
        computed - read,
        time.perf_counter() - computed,
    )


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
