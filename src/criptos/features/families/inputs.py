"""What every feature family reads, and the two helpers they share.

``CandleArrays`` is one table of clean candles in (ativo, data) order as float64
arrays, with the row's place in its asset block (for the window kernels of
``criptos.features.windows``) and the values several families need, computed once:
the previous close and volume, the daily log return and the history anchors.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from criptos.contracts.raw_layout import PRICE_COLUMNS
from criptos.features import windows
from criptos.features.history import AssetHistory

# The traded value in the quote currency: "the volume" of every volume feature.
VOLUME = "volumeto"
BASE_VOLUME = "volumefrom"


def divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Element-wise ratio where a zero or missing denominator gives NaN, never inf."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator / denominator
    ratio[~np.isfinite(ratio)] = np.nan
    return ratio


def text_labels(
    codes: np.ndarray, labels: pa.Array, missing: np.ndarray | None = None
) -> pd.api.extensions.ExtensionArray:
    """Text column from small integer codes (``missing`` rows become NA).

    Arrow's ``take`` builds the strings without one Python object per row.
    """
    return pd.array(labels.take(pa.array(codes, mask=missing)), dtype="str")


@dataclass(frozen=True)
class CandleArrays:
    """Sorted candles as arrays (see module); built by ``definitions.family_inputs``.

    ``positions`` is each row's index inside its asset block and ``first_row`` the
    row where that block starts. ``history`` continues assets whose earlier days
    are not in the table (daily incremental runs).
    """

    frame: pd.DataFrame
    positions: np.ndarray
    first_row: np.ndarray
    history: AssetHistory | None

    @cached_property
    def prices(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``abertura``, ``maximo``, ``minimo``, ``fechamento`` (open, high, low, close)."""
        opened, high, low, close = (
            self.frame[column].to_numpy(dtype=np.float64) for column in PRICE_COLUMNS
        )
        return opened, high, low, close

    @property
    def opened(self) -> np.ndarray:
        return self.prices[0]

    @property
    def high(self) -> np.ndarray:
        return self.prices[1]

    @property
    def low(self) -> np.ndarray:
        return self.prices[2]

    @property
    def close(self) -> np.ndarray:
        return self.prices[3]

    @cached_property
    def volume(self) -> np.ndarray:
        return self.frame[VOLUME].to_numpy(dtype=np.float64)

    @cached_property
    def base_volume(self) -> np.ndarray:
        return self.frame[BASE_VOLUME].to_numpy(dtype=np.float64)

    @cached_property
    def close_prev(self) -> np.ndarray:
        """The previous day's close of the same asset (NaN on its first row).

        The very array stored as ``fech_prev``: ``compute_features`` turns inf into
        NaN in place before the category families compare against it.
        """
        return windows.shift(self.close, self.positions)

    @cached_property
    def volume_prev(self) -> np.ndarray:
        """The previous day's volume of the same asset (stored as ``vol_prev``)."""
        return windows.shift(self.volume, self.positions)

    @cached_property
    def log_return(self) -> np.ndarray:
        """``log(close / previous close)`` (stored as ``retorno_log``)."""
        return np.log(divide(self.close, self.close_prev))

    @cached_property
    def anchors(self) -> tuple[np.ndarray, np.ndarray]:
        """Per row: the asset's first close ever and its highest close before these rows."""
        close = self.close
        first_close = close[self.first_row]
        prior_max = np.full(len(close), -np.inf)
        history = self.history
        if history is not None and len(history.first_close):
            assets = self.frame["ativo"]
            known = assets.map(history.first_close).to_numpy(
                dtype=np.float64, na_value=np.nan
            )
            has_history = ~np.isnan(known)
            first_close = np.where(has_history, known, first_close)
            before = assets.map(history.max_close).to_numpy(
                dtype=np.float64, na_value=np.nan
            )
            prior_max = np.where(has_history, before, prior_max)
        return first_close, prior_max
