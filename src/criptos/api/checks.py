"""What a model version and a feature table must satisfy before anything is served.

Each failure raises ``VersionRefused`` whose message names columns and models only
(never a file path), so clients may see it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

ASSET_CODE = re.compile(r"[A-Za-z0-9._-]{1,20}")
KEY_COLUMNS = ("ativo", "data", "fechamento")
CODE_COLUMN = "__api_asset_code__"
TASKS = ("regression", "classification")
_STRING_DTYPES = frozenset(
    {"object", "str", "string", "string[python]", "string[pyarrow]"}
)
_MAX_LISTED = 8


class BundleLike(Protocol):
    """What the service needs of ``criptos.contracts.model_bundle.ModelBundle``."""

    manifest: Mapping[str, Any]
    models: Mapping[str, Any]


class VersionRefused(Exception):
    """A version that must not be served; ``str(error)`` is safe to show to clients."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(message)
        self.stage = stage
        self.message = message


def listing(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_MAX_LISTED])
    return shown + (
        f" and {len(names) - _MAX_LISTED} more" if len(names) > _MAX_LISTED else ""
    )


def dtype_family(dtype: Any) -> str:
    """A dtype's name, with pandas' several spellings of text columns made one."""
    name = str(dtype)
    return "string" if name in _STRING_DTYPES else name


def check_manifest(manifest: Mapping[str, Any], models: Mapping[str, Any]) -> None:
    """The manifest names a version, a horizon and models the bundle really holds."""
    version = manifest.get("version")
    if not isinstance(version, str) or not version:
        raise VersionRefused("manifest", "manifest has no version")
    horizon = manifest.get("horizon_days")
    if not isinstance(horizon, int) or isinstance(horizon, bool) or horizon < 1:
        raise VersionRefused("manifest", "manifest has no valid horizon_days")
    entries = manifest.get("models")
    if not isinstance(entries, Mapping) or not entries:
        raise VersionRefused("manifest", "manifest lists no models")
    for name, entry in entries.items():
        task = entry.get("task") if isinstance(entry, Mapping) else None
        if task not in TASKS:
            raise VersionRefused("manifest", f"model {name} has an unknown task")
        if name not in models:
            raise VersionRefused("models", f"model {name} is missing from the bundle")
    columns = manifest.get("feature_columns")
    if not isinstance(columns, list) or not columns:
        raise VersionRefused("manifest", "manifest lists no feature columns")


def check_feature_columns(
    features: pd.DataFrame, feature_columns: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Names of the model's columns, in model order, after checking names and dtypes."""
    names = [str(column["name"]) for column in feature_columns]
    missing = [name for name in names if name not in features.columns]
    if missing:
        raise VersionRefused(
            "features", f"feature column(s) missing: {listing(missing)}"
        )
    mismatched = [
        f"{column['name']} ({features[column['name']].dtype} instead of {column['dtype']})"
        for column in feature_columns
        if dtype_family(features[column["name"]].dtype) != dtype_family(column["dtype"])
    ]
    if mismatched:
        raise VersionRefused(
            "features", f"feature dtype mismatch: {listing(mismatched)}"
        )
    return names


@dataclass(frozen=True)
class LatestRows:
    """Every servable asset's last dated row (``rows``, one per asset in code order,
    with ``CODE_COLUMN``, the upper-case code requests are matched against), the
    number of rows each asset has and its recent closes."""

    rows: pd.DataFrame
    history_rows: np.ndarray
    recent_closes: list[np.ndarray]


def latest_rows(features: pd.DataFrame, recent: int = 30) -> LatestRows:
    """The last dated row of every asset whose code the API can be asked for."""
    missing = [column for column in KEY_COLUMNS if column not in features.columns]
    if missing:
        raise VersionRefused(
            "features", f"feature column(s) missing: {listing(missing)}"
        )
    if features.empty:
        raise VersionRefused("features", "the latest feature table is empty")
    codes = features["ativo"].astype("string").str.upper()
    servable = codes.str.fullmatch(ASSET_CODE.pattern).fillna(False).astype(bool)
    if not servable.all():
        logger.warning(
            "Skipping %d feature rows whose asset code cannot be queried",
            (~servable).sum(),
        )
    # The lookup key is a separate column: the models get ``ativo`` exactly as stored.
    frame = features.loc[servable.to_numpy()].assign(
        **{CODE_COLUMN: codes[servable].to_numpy(dtype=object)}
    )
    if frame.empty:
        raise VersionRefused(
            "features", "no asset in the latest features can be served"
        )
    order = frame.sort_values([CODE_COLUMN, "data"], kind="stable")
    assets = order.groupby(CODE_COLUMN, sort=True)
    closes = order["fechamento"].to_numpy(dtype=np.float64)
    stops = np.cumsum(assets.size().to_numpy())
    return LatestRows(
        rows=assets.tail(1).reset_index(drop=True),
        history_rows=assets.size().to_numpy(),
        recent_closes=[closes[max(0, stop - recent) : stop] for stop in stops],
    )
