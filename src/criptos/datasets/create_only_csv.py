"""A CSV dataset that writes its file once and never replaces it."""

from __future__ import annotations

import logging

import pandas as pd
from kedro.io.core import get_filepath_str
from kedro_datasets.pandas import CSVDataset

logger = logging.getLogger(__name__)


class CreateOnlyCSVDataset(CSVDataset):
    """Saves only when the target does not exist yet; an existing file is kept as is.

    Used to seed ``raw.csv`` with synthetic candles on a fresh project without ever
    overwriting data a user brought in.
    """

    def save(self, data: pd.DataFrame) -> None:
        save_path = get_filepath_str(self._get_save_path(), self._protocol)
        if self._fs.exists(save_path):
            logger.warning(
                "%s already exists: left untouched, nothing written", save_path
            )
            return
        super().save(data)
