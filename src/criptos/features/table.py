"""The feature table as a stream of Arrow record batches of whole assets.

At millions of rows the feature table (about 56 float columns) does not fit the
memory budget at once, so the pipeline hands a lazy ``FeatureTable`` to the feature
store (``criptos.feature_store``), which writes it one batch of assets at a time (one
Parquet row group, or part file, each). Assets
are never split across batches, so every value is exactly what ``compute_features``
gives on the whole table. Batches are computed on a small thread pool (numpy and
Arrow release the GIL) while the previous one is written.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from criptos.features.definitions import (
    asset_changes,
    compute_features,
    sort_candles,
)
from criptos.features.history import AssetHistory
from criptos.features.params import FeatureParams
from criptos.features.state import tail_state

logger = logging.getLogger(__name__)

ROWS_PER_BATCH = 200_000
WORKERS = 2
# Bump when a feature definition changes: incremental runs then recompute in full.
FEATURES_VERSION = 1
METADATA_KEY = "criptos.features"


def feature_metadata(
    params: FeatureParams, history: str | None = None
) -> dict[str, Any]:
    """What produced a feature table: definitions version, parameters and the
    generation of the candle history it was computed from."""
    produced_by: dict[str, Any] = {
        "version": FEATURES_VERSION,
        "params": json.loads(json.dumps(asdict(params))),
    }
    if history is not None:
        produced_by["history"] = history
    return produced_by


def schema_metadata(params: FeatureParams, history: str | None) -> dict[bytes, bytes]:
    """The Parquet key/value metadata of every file of a feature table."""
    return {
        METADATA_KEY.encode(): json.dumps(feature_metadata(params, history)).encode()
    }


def _with_metadata(
    table: pa.Table, params: FeatureParams, history: str | None
) -> pa.Table:
    metadata = dict(table.schema.metadata or {})
    metadata.update(schema_metadata(params, history))
    return table.replace_schema_metadata(metadata)


def to_arrow(frame: pd.DataFrame) -> pa.Table:
    """A feature frame as an Arrow table, exactly as ``DataFrame.to_parquet`` converts it."""
    return pa.Table.from_pandas(frame, preserve_index=False)


def asset_batches(assets: pd.Series, rows_per_batch: int) -> list[slice]:
    """Row slices of sorted candles, each holding whole assets and about ``rows_per_batch`` rows."""
    if len(assets) == 0:
        return []
    starts = np.flatnonzero(np.r_[True, asset_changes(assets)])
    bounds = [0]
    for start in starts[1:]:
        if start - bounds[-1] >= rows_per_batch:
            bounds.append(int(start))
    bounds.append(len(assets))
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def ordered_map(
    work: Callable[[int], pa.Table], count: int, workers: int
) -> Iterator[pa.Table]:
    """``work(0), work(1), ...`` computed ``workers`` at a time, yielded in order.

    While the consumer handles one result (writes a row group), ``workers`` more are
    in progress, so that no worker idles during the write.
    """
    if workers <= 1:
        for index in range(count):
            yield work(index)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[pa.Table]] = deque()
        for index in range(count):
            pending.append(pool.submit(work, index))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


@dataclass
class FeatureTable:
    """Features of clean candles, computed lazily batch by batch (see module docstring).

    ``source`` is the generation of the candle history the candles are (recorded in
    the metadata).
    """

    candles: pd.DataFrame
    params: FeatureParams
    history: AssetHistory | None = None
    rows_per_batch: int = ROWS_PER_BATCH
    workers: int = WORKERS
    source: str | None = None

    def __post_init__(self) -> None:
        self.candles = sort_candles(self.candles)

    @property
    def schema_metadata(self) -> dict[bytes, bytes]:
        return schema_metadata(self.params, self.source)

    @property
    def rows_computed(self) -> int:
        return len(self.candles)

    def iter_tables(self) -> Iterator[pa.Table]:
        """The feature table, batch by batch, in (ativo, data) order."""
        return self.map_batches(lambda _, table: table)

    def map_batches(self, function: Callable[[int, pa.Table], Any]) -> Iterator[Any]:
        """``function(index, batch)`` of every batch, in order; batches are computed
        and handed to ``function`` (for example a Parquet write) on the worker threads."""
        slices = asset_batches(self.candles["ativo"], self.rows_per_batch)
        if not slices:
            table = to_arrow(self.to_pandas())
            yield function(0, _with_metadata(table, self.params, self.source))
            return

        def work(index: int) -> Any:
            batch = self.candles.iloc[slices[index]]
            table = to_arrow(compute_features(batch, self.params, self.history))
            return function(index, _with_metadata(table, self.params, self.source))

        started = time.perf_counter()
        report_every = max(1, len(slices) // 10)
        for index, result in enumerate(ordered_map(work, len(slices), self.workers), 1):
            if index % report_every == 0 or index == len(slices):
                logger.info(
                    "Features: batch %d/%d done (%d of %d rows) in %.1f s",
                    index,
                    len(slices),
                    slices[index - 1].stop,
                    len(self.candles),
                    time.perf_counter() - started,
                )
            yield result

    def tail_state(self, table: pa.Table) -> pa.Table:
        """The stored state (``criptos.features.state``) of one batch of whole assets."""
        first_close = (
            None if self.history is None else self.history.first_close.to_dict()
        )
        return tail_state(table, self.params.lookback_rows, first_close)

    def to_pandas(self) -> pd.DataFrame:
        """The whole table in memory (small data and tests)."""
        return compute_features(self.candles, self.params, self.history)
