"""What the local engine computes from a raw file, to hold the Spark engine's output to."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from criptos.contracts.raw_file import read_raw_candles
from criptos.feature_store.history import snapshot_history
from criptos.pipelines.feature_engineering.nodes import (
    build_features,
    validate_raw_candles,
)

VALIDATION = {"max_quarantine_share": 1.0}
FULL = {"mode": "full"}


def local_features(
    raw_csv: Path, run_date: str | None = None, validation: dict | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The local engine's features (a full recompute), quarantine and report
    (``validation``: the parameters, default ``VALIDATION``)."""
    with raw_csv.open("rb") as stream:
        raw = read_raw_candles(stream, source=str(raw_csv))
    candles, quarantine, report = validate_raw_candles(
        raw, validation or VALIDATION, run_date
    )
    history = snapshot_history(candles, stored=None)
    return build_features(history, FULL).to_pandas(), quarantine, report


def comparable(features: pd.DataFrame, sort: bool = True) -> pd.DataFrame:
    """``features`` with the types both engines' files agree on (days in ns, text as
    ``str``), in (ativo, data) order when ``sort``; values untouched."""
    out = features.sort_values(["ativo", "data"]) if sort else features
    out = out.reset_index(drop=True)
    out["data"] = out["data"].astype("datetime64[ns]")
    for column in out.columns:
        if out[column].dtype == object or str(out[column].dtype) in {"str", "string"}:
            out[column] = out[column].astype("str")
    return out


def assert_same_as_local(features: pd.DataFrame, local: pd.DataFrame) -> None:
    """``features`` (as written, not re-sorted) equal the local engine's, column for
    column and row for row, values bit for bit."""
    assert list(features.columns) == list(local.columns)
    pd.testing.assert_frame_equal(
        comparable(features, sort=False),
        comparable(local),
        check_exact=True,
        check_dtype=False,
    )
