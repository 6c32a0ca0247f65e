"""What a daily incremental run carries over from the previous feature table."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class AssetHistory:
    """Per asset (index ``ativo``): its first close ever and its highest close so far.

    These are the only values of earlier days that a feature depends on beyond the
    look-back window: ``retorno_acumulado`` divides by the first close, ``max_acum``
    and ``drawdown`` continue the running maximum.
    """

    first_close: pd.Series = field(default_factory=lambda: pd.Series(dtype="float64"))
    max_close: pd.Series = field(default_factory=lambda: pd.Series(dtype="float64"))
