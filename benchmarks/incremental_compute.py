"""In-process timing of the part of a daily run that is new work: state + new rows."""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow.parquet as pq

from criptos.features import FeatureParams
from criptos.features.incremental import IncrementalFeatureTable
from criptos.raw_contract import read_raw_candles
from criptos.validation import validate_candles


def incremental_compute_seconds(
    previous_latest: Path, new_raw: Path
) -> tuple[float, int]:
    """Seconds to read the carried-over state and compute the new rows, and their count.

    Excludes Kedro's start-up and rewriting the full table (which the run also does).
    """
    with new_raw.open("rb") as stream:
        candles = validate_candles(
            read_raw_candles(stream), max_quarantine_share=0.05
        ).candles
    started = time.perf_counter()
    previous = pq.ParquetFile(previous_latest, memory_map=False, pre_buffer=False)
    table = IncrementalFeatureTable(candles, previous, FeatureParams())
    computed = table.new_rows()
    return time.perf_counter() - started, computed.num_rows
