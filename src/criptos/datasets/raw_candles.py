"""Dataset for the raw candle CSV (``raw/raw.csv``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io.core import get_filepath_str
from kedro_datasets.pandas import CSVDataset

from criptos.contracts.raw_file import DELIMITER, RawLayout, read_raw_candles


class RawCandlesDataset(CSVDataset):
    """The raw candle file, read as text columns under its contract.

    Loading enforces the file-level rules of ``criptos.contracts.raw_file`` (empty file,
    wrong delimiter, missing or duplicate column, undecodable bytes). Other layouts
    of the same candles are read with ``sep`` (default ``|``), ``columns`` (the
    file's column names mapped to the contract's, e.g. ``{close: fechamento}``) and
    ``asset`` (the asset code of a file of one asset without an ``ativo`` column);
    see docs/data.md. Saving writes the contract layout, pipe-separated with a
    header, so that tools and tests can produce files.
    """

    DEFAULT_SAVE_ARGS = {"index": False, "sep": DELIMITER}

    def __init__(
        self,
        *,
        filepath: str,
        sep: str = DELIMITER,
        columns: Mapping[str, str] | None = None,
        asset: str | None = None,
        **kwargs: Any,
    ) -> None:
        self._layout = RawLayout.of(sep=sep, columns=columns, asset=asset)
        super().__init__(filepath=filepath, **kwargs)

    def load(self) -> pd.DataFrame:
        load_path = get_filepath_str(self._get_load_path(), self._protocol)
        if self._protocol == "file":  # Arrow reads a local path natively (faster)
            return read_raw_candles(Path(load_path), load_path, self._layout)
        with self._fs.open(load_path, mode="rb") as stream:
            return read_raw_candles(stream, load_path, self._layout)

    def _describe(self) -> dict[str, Any]:
        return {
            **super()._describe(),
            "sep": self._layout.sep,
            "columns": dict(self._layout.columns),
            "asset": self._layout.asset,
        }
