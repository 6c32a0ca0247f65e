"""Dataset for the raw candle CSV (``raw/raw.csv``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from kedro.io.core import get_filepath_str
from kedro_datasets.pandas import CSVDataset

from criptos.raw_contract import DELIMITER, read_raw_candles


class RawCandlesDataset(CSVDataset):
    """The pipe-separated raw candle file, read as text columns under its contract.

    Loading enforces the file-level rules of ``criptos.raw_contract`` (empty file,
    wrong delimiter, missing column, undecodable bytes). Saving writes the same
    layout, pipe-separated with a header, so that tools and tests can produce files.
    """

    DEFAULT_SAVE_ARGS = {"index": False, "sep": DELIMITER}

    def load(self) -> pd.DataFrame:
        load_path = get_filepath_str(self._get_load_path(), self._protocol)
        if self._protocol == "file":  # Arrow reads a local path natively (faster)
            return read_raw_candles(Path(load_path), source=load_path)
        with self._fs.open(load_path, mode="rb") as stream:
            return read_raw_candles(stream, source=load_path)
