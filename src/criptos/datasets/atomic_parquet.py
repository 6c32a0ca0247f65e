"""A Parquet dataset whose table is replaced atomically: readers see old or new, never half.

A thin Kedro adapter over one ``criptos.feature_store.FeatureTableStore``: the store
owns the layouts, the deltas, the compaction and the atomic swaps; this class maps the
catalog's options onto it and Kedro's ``load``/``save`` onto its methods.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import pandas as pd
from kedro.io import DatasetError
from kedro_datasets.pandas import ParquetDataset

from criptos.datasets.locations import table_location
from criptos.feature_store import FeatureTableStore, TableLocation, content_of

LOAD_AS = ("pandas", "location")


class AtomicParquetDataset(ParquetDataset):
    """``pandas.ParquetDataset`` that never leaves a partially written table behind.

    ``layout="file"`` (default) writes one Parquet file; ``layout="parts"`` a folder of
    Parquet files that daily runs append to (``criptos.feature_store.parts``), at most
    ``max_delta_parts`` deltas before it is compacted. Loading reads either, in
    (ativo, data) order, as a DataFrame; with ``load_as="location"`` it gives the
    table's ``TableLocation`` instead, read nothing yet.

    ``save`` takes a DataFrame, the candle history or a feature table (written one
    batch at a time, so the whole table never sits in memory: see
    ``criptos.feature_store.content``), or a ``TableLocation``: then this table becomes
    a copy of the table stored there (``FeatureTableStore.publish``, hard links): how
    the dated features become ``cripto_features_latest``.
    """

    DEFAULT_SAVE_ARGS = {"compression": "snappy", "index": False}

    def __init__(
        self,
        *,
        layout: str = "file",
        max_delta_parts: int = 30,
        load_as: str = "pandas",
        **kwargs: Any,
    ) -> None:
        if load_as not in LOAD_AS:
            raise DatasetError(
                f"load_as must be one of {', '.join(LOAD_AS)}, got {load_as!r}"
            )
        super().__init__(**kwargs)
        self._layout = layout
        self._max_delta_parts = int(max_delta_parts)
        self._load_as = load_as
        try:
            self._store(self._filepath)
        except ValueError as error:
            raise DatasetError(str(error)) from None

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "layout": self._layout, "load_as": self._load_as}

    def _store(self, path: PurePosixPath) -> FeatureTableStore:
        return FeatureTableStore(
            table_location(self, path),
            layout=self._layout,
            compression=self._save_args.get("compression", "snappy"),
            max_delta_parts=self._max_delta_parts,
        )

    def load(self) -> pd.DataFrame | TableLocation:
        store = self._store(self._get_load_path())
        if self._load_as == "location":
            return store.location
        if not store.location.is_folder():
            return super().load()
        return store.read(self._load_args.get("columns")).to_pandas()

    def save(self, data: Any) -> None:
        store = self._store(self._get_save_path())
        if isinstance(data, TableLocation):
            store.publish(data)
        elif isinstance(data, pd.DataFrame) and self._layout == "file":
            store.write_frame(data, self._save_args)
        else:
            store.write(content_of(data))
        self._invalidate_cache()
