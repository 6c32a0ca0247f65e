"""Labels of the forecasting task, built from the feature table and never stored with it.

For horizon ``h`` days and each asset: ``retorno_alvo = log(fechamento[t+h] /
fechamento[t])`` and ``direcao_alvo = retorno_alvo > 0``. The close ``h`` days later
is looked up by calendar date within the same asset, so a missing day never pairs a
row with the wrong future close: such rows, like the last ``h`` rows of each asset,
have no label.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RETURN_TARGET = "retorno_alvo"
DIRECTION_TARGET = "direcao_alvo"
TARGET_COLUMNS: tuple[str, ...] = (RETURN_TARGET, DIRECTION_TARGET)
KEY_COLUMNS: tuple[str, ...] = ("ativo", "data")
CLOSE = "fechamento"


def future_log_return(features: pd.DataFrame, horizon: int) -> pd.Series:
    """``log(close[t + horizon days] / close[t])`` per asset; NaN where that close is unknown."""
    if horizon < 1:
        raise ValueError(f"the label horizon must be at least 1 day, got {horizon}")
    keys = pd.MultiIndex.from_frame(features[list(KEY_COLUMNS)])
    closes = pd.Series(features[CLOSE].to_numpy(dtype=np.float64), index=keys)
    future_keys = pd.MultiIndex.from_arrays(
        [features["ativo"], features["data"] + pd.Timedelta(days=horizon)]
    )
    future_close = closes.reindex(future_keys).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        log_return = np.log(future_close / closes.to_numpy())
    log_return[~np.isfinite(log_return)] = np.nan
    return pd.Series(log_return, index=features.index, name=RETURN_TARGET)


def add_labels(features: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """The feature rows that have a label, with ``retorno_alvo`` and ``direcao_alvo`` added.

    Rows keep the features' order (asset, then date); the index is reset.
    """
    if features.duplicated(list(KEY_COLUMNS)).any():
        raise ValueError("the feature table has several rows for one asset and date")
    log_return = future_log_return(features, horizon)
    labelled = features.assign(**{RETURN_TARGET: log_return})
    labelled = labelled.loc[log_return.notna()].reset_index(drop=True)
    labelled[DIRECTION_TARGET] = labelled[RETURN_TARGET] > 0.0
    return labelled
