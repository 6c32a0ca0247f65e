"""Which columns of the feature table the models see, and how each is treated.

The model inputs are every column of the feature table except the excluded ones
(``data`` by default) and the labels, in the table's own order: the list is
deterministic for a given feature table and is recorded with the models. Text
columns (``ativo``, ``candle_direcao``, ...) are categorical; all others numeric.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from criptos.modeling.labels import TARGET_COLUMNS


@dataclass(frozen=True)
class FeatureColumns:
    """Model input columns in table order, split into numeric and categorical."""

    names: tuple[str, ...]
    categorical: tuple[str, ...]
    dtypes: tuple[str, ...]

    @property
    def numeric(self) -> tuple[str, ...]:
        return tuple(name for name in self.names if name not in self.categorical)

    def renamed(self, names: tuple[str, ...]) -> FeatureColumns:
        """The columns a row-wise transformer makes of these, from their names.

        ``names`` keeps or renames (``<column>_rel``, numeric) the input columns; a
        kept categorical column stays categorical.
        """
        dtypes = dict(zip(self.names, self.dtypes, strict=True))
        return FeatureColumns(
            names=names,
            categorical=tuple(name for name in names if name in self.categorical),
            dtypes=tuple(dtypes.get(name, "float64") for name in names),
        )

    def describe(self) -> list[dict[str, str]]:
        """JSON-ready ``[{"name", "dtype", "kind"}]`` in input order."""
        return [
            {
                "name": name,
                "dtype": dtype,
                "kind": "categorical" if name in self.categorical else "numeric",
            }
            for name, dtype in zip(self.names, self.dtypes, strict=True)
        ]


def select_feature_columns(
    table: pd.DataFrame, excluded: tuple[str, ...]
) -> FeatureColumns:
    """The model input columns of ``table``; every excluded column must exist."""
    missing = [name for name in excluded if name not in table.columns]
    if missing:
        raise ValueError(
            f"training.excluded_columns names unknown column(s): {', '.join(missing)}"
        )
    dropped = set(excluded) | set(TARGET_COLUMNS)
    names = tuple(name for name in table.columns if name not in dropped)
    categorical = tuple(
        name
        for name in names
        if is_bool_dtype(table[name]) or not is_numeric_dtype(table[name])
    )
    dtypes = tuple(str(table[name].dtype) for name in names)
    return FeatureColumns(names=names, categorical=categorical, dtypes=dtypes)
