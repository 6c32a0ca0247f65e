"""Scale-free model inputs: the first step of every model's scikit-learn Pipeline.

The feature table keeps the seed's columns (prices in the asset's own currency
units) for its readers; a model would learn "BTC is expensive", which says nothing
about tomorrow and does not carry over to other coins or years. ``ScaleFreeInputs``
maps each row on its own (so the saved model still takes the raw feature row):

- price levels -> ``log(level / fechamento)``, named ``<column>_rel``;
- price spans (ATR, MAD, shadows, ...) -> ``span / fechamento``, ``<column>_rel``;
- traded value levels -> ``log(level / volume_mm_20)``, ``<column>_rel``;
- the references and levels without a relative form are dropped;
- columns that are a monotone function of another input (``REDUNDANT``) are dropped;
- every other column passes through unchanged.

Multiplying one asset's prices and traded value by any constant (a redenomination)
leaves every output unchanged up to rounding. The column groups are declared in
``criptos.features.units``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from criptos.features import units

RELATIVE_SUFFIX = "_rel"
# Inputs that are a monotone function of another input (its "twin") carry nothing new
# and give tree ensembles exactly tied splits, which floating-point noise then breaks
# one way or the other (a redenominated coin changed 4 % of the forests' forecasts).
# Each is left out when its twin is among the inputs.
REDUNDANT: dict[str, str] = {
    "valor_mm_5": "fech_rel_mm_5",  # log(mm / close) = -log1p(fech_rel_mm)
    "valor_mm_20": "fech_rel_mm_20",
    "valor_mm_50": "fech_rel_mm_50",
    "fech_prev": "retorno_log",  # log(prev / close) = -retorno_log
    "max_acum": "drawdown",  # log(max / close) = -log1p(drawdown)
    "retorno_diario": "retorno_log",  # expm1(retorno_log)
    "fechamento_categoria": "retorno_log",  # its sign
    "volume_categoria": "vol_pct_change",  # its sign
}


def _log_ratio(numerator: pd.Series, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.log(numerator.to_numpy(np.float64) / denominator)
    values[~np.isfinite(values)] = np.nan
    return values


def _ratio(numerator: pd.Series, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        values = numerator.to_numpy(np.float64) / denominator
    values[~np.isfinite(values)] = np.nan
    return values


def scale_free_name(column: str) -> str:
    """The name a column has among the model inputs."""
    relative = (*units.PRICE_LEVELS, *units.PRICE_SPANS, *units.VOLUME_LEVELS)
    return column + RELATIVE_SUFFIX if column in relative else column


def _kept(columns: tuple[str, ...]) -> list[str]:
    """The raw ``columns`` that become model inputs, in their order."""
    return [
        column
        for column in columns
        if column not in units.LEFT_OUT and REDUNDANT.get(column) not in columns
    ]


def scale_free_names(columns: tuple[str, ...]) -> tuple[str, ...]:
    """The model input names for raw feature ``columns``, in their order."""
    return tuple(scale_free_name(column) for column in _kept(columns))


class ScaleFreeInputs(TransformerMixin, BaseEstimator):
    """Raw feature rows -> scale-free model inputs (a stateless, row-wise map)."""

    def fit(self, X: pd.DataFrame, y=None) -> ScaleFreeInputs:  # noqa: N803 (sklearn API)
        columns = tuple(str(column) for column in X.columns)
        needs = {
            units.PRICE_REFERENCE: (*units.PRICE_LEVELS, *units.PRICE_SPANS),
            units.VOLUME_REFERENCE: units.VOLUME_LEVELS,
        }
        for reference, dependants in needs.items():
            used = [column for column in dependants if column in columns]
            if used and reference not in columns:
                raise ValueError(
                    f"scale-free inputs: {', '.join(used)} need the column {reference!r}, "
                    "which is not among the model inputs (training.excluded_columns?)"
                )
        self.feature_names_in_ = np.asarray(columns, dtype=object)
        self.n_features_in_ = len(columns)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:  # noqa: N803 (sklearn API)
        columns = [str(column) for column in self.feature_names_in_]
        missing = [column for column in columns if column not in X.columns]
        if missing:
            raise ValueError(
                f"scale-free inputs: the rows lack column(s) {', '.join(missing)}"
            )
        price = (
            X[units.PRICE_REFERENCE].to_numpy(np.float64)
            if units.PRICE_REFERENCE in X.columns
            else None
        )
        volume = (
            X[units.VOLUME_REFERENCE].to_numpy(np.float64)
            if units.VOLUME_REFERENCE in X.columns
            else None
        )
        output: dict[str, object] = {}
        for column in _kept(tuple(columns)):
            if column in units.PRICE_LEVELS:
                output[scale_free_name(column)] = _log_ratio(X[column], price)
            elif column in units.PRICE_SPANS:
                output[scale_free_name(column)] = _ratio(X[column], price)
            elif column in units.VOLUME_LEVELS:
                output[scale_free_name(column)] = _log_ratio(X[column], volume)
            else:
                output[column] = X[column]
        return pd.DataFrame(output, index=X.index)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(
            scale_free_names(tuple(str(c) for c in self.feature_names_in_)),
            dtype=object,
        )
