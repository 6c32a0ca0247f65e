"""Turn a model bundle and the latest features into a ready-to-serve state.

Everything that can go wrong with a version goes wrong here, before the swap: a
manifest without models, a feature column missing or of another dtype, a model that
cannot predict or gives a non-finite number. Each raises ``VersionRefused`` whose
message names columns and models only (never a file path), so clients may see it.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
import pandas as pd

from criptos.api.schemas import (
    ClassificationPrediction,
    PredictionResponse,
    RegressionPrediction,
)
from criptos.api.state import AssetServing, ServingState

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


def _listing(names: Sequence[str]) -> str:
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
            "features", f"feature column(s) missing: {_listing(missing)}"
        )
    mismatched = [
        f"{column['name']} ({features[column['name']].dtype} instead of {column['dtype']})"
        for column in feature_columns
        if dtype_family(features[column["name"]].dtype) != dtype_family(column["dtype"])
    ]
    if mismatched:
        raise VersionRefused(
            "features", f"feature dtype mismatch: {_listing(mismatched)}"
        )
    return names


def latest_rows(features: pd.DataFrame) -> pd.DataFrame:
    """The last dated row of every asset whose code the API can be asked for.

    Adds ``CODE_COLUMN``, the upper-case code requests are matched against.
    """
    missing = [column for column in KEY_COLUMNS if column not in features.columns]
    if missing:
        raise VersionRefused(
            "features", f"feature column(s) missing: {_listing(missing)}"
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
    order = frame.sort_values([CODE_COLUMN, "data"], kind="stable")
    rows = order.groupby(CODE_COLUMN, sort=True).tail(1).reset_index(drop=True)
    if rows.empty:
        raise VersionRefused(
            "features", "no asset in the latest features can be served"
        )
    return rows


def _finite(values: np.ndarray, model: str, assets: pd.Series) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if len(values) != len(assets):
        raise VersionRefused(
            "predict",
            f"model {model} returned {len(values)} values for {len(assets)} assets",
        )
    bad = ~np.isfinite(values)
    if bad.any():
        raise VersionRefused(
            "predict",
            f"model {model} gave non-finite values for {_listing(list(assets[bad]))}",
        )
    return values


def _model_outputs(
    name: str, task: str, model: Any, inputs: pd.DataFrame, rows: pd.DataFrame
) -> list[RegressionPrediction | ClassificationPrediction]:
    """One prediction per row of ``inputs`` from one model."""
    try:
        if task == "regression":
            raw = model.predict(inputs)
        else:
            raw = np.asarray(model.predict_proba(inputs))[:, 1]
    except Exception as error:  # any model failure refuses the version
        logger.warning("Model %s failed to predict", name, exc_info=True)
        raise VersionRefused(
            "predict", f"model {name} failed to predict ({type(error).__name__})"
        ) from error
    values = _finite(raw, name, rows[CODE_COLUMN])
    if task == "regression":
        closes = rows["fechamento"].to_numpy(dtype=np.float64) * np.exp(values)
        return [
            RegressionPrediction(
                predicted_log_return=float(value), predicted_close=float(close)
            )
            for value, close in zip(
                values, _finite(closes, name, rows[CODE_COLUMN]), strict=True
            )
        ]
    if ((values < 0) | (values > 1)).any():
        raise VersionRefused(
            "predict", f"model {name} gave probabilities outside [0, 1]"
        )
    return [
        ClassificationPrediction(
            probability_up=float(p), direction="up" if p >= 0.5 else "down"
        )
        for p in values
    ]


def build_state(
    bundle: BundleLike, features: pd.DataFrame, now: datetime | None = None
) -> ServingState:
    """Validate a bundle against the features and render every asset's answer once."""
    manifest = bundle.manifest
    check_manifest(manifest, bundle.models)
    names = check_feature_columns(features, manifest["feature_columns"])
    rows = latest_rows(features)
    inputs = rows[names]
    per_model = {
        name: _model_outputs(name, entry["task"], bundle.models[name], inputs, rows)
        for name, entry in manifest["models"].items()
    }
    version = str(manifest["version"])
    assets: dict[str, AssetServing] = {}
    for index, (code, day, close) in enumerate(
        zip(rows[CODE_COLUMN], rows["data"], rows["fechamento"], strict=True)
    ):
        as_of = pd.Timestamp(day).date()
        if not math.isfinite(float(close)):
            raise VersionRefused(
                "features", f"asset {code} has no finite close on its latest row"
            )
        answer = PredictionResponse(
            ativo=code,
            as_of=as_of,
            last_close=float(close),
            horizon_days=int(manifest["horizon_days"]),
            model_version=version,
            predictions={name: outputs[index] for name, outputs in per_model.items()},
        )
        assets[code] = AssetServing(
            ativo=code, as_of=as_of, body=answer.model_dump_json().encode()
        )
    return ServingState(
        version=version,
        manifest=manifest,
        loaded_at=now or datetime.now(UTC),
        assets=assets,
    )
