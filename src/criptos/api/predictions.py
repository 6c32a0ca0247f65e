"""Turn a model bundle and the latest features into a ready-to-serve state.

Everything that can go wrong with a version goes wrong here, before the swap (see
``criptos.api.checks``): a manifest without models, a feature column missing or of
another dtype, a model that cannot predict or gives a non-finite number. An asset
whose latest row cannot be predicted honestly (warm-up incomplete, too many missing
inputs) gets a refusal instead of an answer; the others get their answer rendered
once, rounded to what the data supports.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from criptos.api.caveats import (
    LOG_RETURN_DECIMALS,
    PROBABILITY_DECIMALS,
    Unpredictable,
    holdout_net_sharpe,
    price_decimals,
    recommended_models,
    refusal_of,
    verdict_of,
)
from criptos.api.checks import (
    CODE_COLUMN,
    BundleLike,
    LatestRows,
    VersionRefused,
    check_feature_columns,
    check_manifest,
    latest_rows,
    listing,
)
from criptos.api.schemas import (
    ClassificationPrediction,
    ModelCaveats,
    PredictionResponse,
    RegressionPrediction,
)
from criptos.api.state import AssetServing, FeaturesInUse, ServingPolicy, ServingState
from criptos.features import FeatureParams
from criptos.features.table import METADATA_KEY

logger = logging.getLogger(__name__)

# ``DataFrame.attrs`` key of the feature table's own metadata (what produced it).
FEATURE_METADATA_ATTR = METADATA_KEY


def warmup_rows_of(features: pd.DataFrame) -> int | None:
    """The rows of history the table's features need, from the parameters it records."""
    produced_by = features.attrs.get(FEATURE_METADATA_ATTR)
    params = produced_by.get("params") if isinstance(produced_by, dict) else None
    if not isinstance(params, dict):
        return None
    try:
        return FeatureParams(**params).warmup_rows
    except (TypeError, ValueError):
        logger.warning("The latest features record parameters this version cannot read")
        return None


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
            f"model {model} gave non-finite values for {listing(list(assets[bad]))}",
        )
    return values


def _model_outputs(
    name: str,
    task: str,
    model: Any,
    rows: pd.DataFrame,
    *,
    inputs: list[str],
    caveats: ModelCaveats,
    decimals: list[int],
) -> list[RegressionPrediction | ClassificationPrediction]:
    """One prediction per row of ``rows`` from one model (``decimals``: of each price)."""
    inputs = rows[inputs]
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
                predicted_log_return=round(float(value), LOG_RETURN_DECIMALS),
                predicted_close=round(float(close), places),
                **dict(caveats),
            )
            for value, close, places in zip(
                values, _finite(closes, name, rows[CODE_COLUMN]), decimals, strict=True
            )
        ]
    if ((values < 0) | (values > 1)).any():
        raise VersionRefused(
            "predict", f"model {name} gave probabilities outside [0, 1]"
        )
    return [
        ClassificationPrediction(
            probability_up=round(float(p), PROBABILITY_DECIMALS),
            direction="up" if p >= 0.5 else "down",
            **dict(caveats),
        )
        for p in values
    ]


def _refusals(
    latest: LatestRows, names: list[str], warmup: int | None, policy: ServingPolicy
) -> tuple[list[Unpredictable | None], list[list[str]]]:
    """Per latest row: why it cannot be answered (or None), and its missing inputs."""
    gaps = latest.rows[names].isna().to_numpy()
    missing = [[n for n, gap in zip(names, row, strict=True) if gap] for row in gaps]
    refusals = [
        refusal_of(
            code,
            rows=int(count),
            warmup_rows=warmup,
            missing=absent,
            inputs=len(names),
            max_missing_share=policy.max_missing_inputs_share,
        )
        for code, count, absent in zip(
            latest.rows[CODE_COLUMN], latest.history_rows, missing, strict=True
        )
    ]
    return refusals, missing


def _check_closes(rows: pd.DataFrame) -> None:
    for code, close in zip(rows[CODE_COLUMN], rows["fechamento"], strict=True):
        if not math.isfinite(float(close)):
            raise VersionRefused(
                "features", f"asset {code} has no finite close on its latest row"
            )


def build_state(
    bundle: BundleLike,
    features: pd.DataFrame,
    policy: ServingPolicy | None = None,
    fingerprint: str | None = None,
    now: datetime | None = None,
) -> ServingState:
    """Validate a bundle against the features and render every asset's answer once."""
    policy = policy or ServingPolicy()
    now = now or datetime.now(UTC)
    manifest = bundle.manifest
    check_manifest(manifest, bundle.models)
    names = check_feature_columns(features, manifest["feature_columns"])
    latest = latest_rows(features)
    _check_closes(latest.rows)
    refusals, missing = _refusals(latest, names, warmup_rows_of(features), policy)
    answerable = [refusal is None for refusal in refusals]
    served = latest.rows.loc[answerable].reset_index(drop=True)
    decimals = [
        price_decimals(closes)
        for closes, ok in zip(latest.recent_closes, answerable, strict=True)
        if ok
    ]
    per_model = {
        name: _model_outputs(
            name,
            entry["task"],
            bundle.models[name],
            served,
            inputs=names,
            caveats=ModelCaveats(
                task=entry["task"],
                verdict=verdict_of(manifest, name),
                holdout_net_sharpe=holdout_net_sharpe(manifest, name),
            ),
            decimals=decimals,
        )
        for name, entry in manifest["models"].items()
        if not served.empty
    }
    trained_on = {
        str(code).upper()
        for code in (manifest.get("training") or {}).get("assets") or []
    }
    recommended = recommended_models(manifest)
    assets: dict[str, AssetServing] = {}
    answered = iter(range(len(served)))
    for index, (code, day) in enumerate(
        zip(latest.rows[CODE_COLUMN], latest.rows["data"], strict=True)
    ):
        as_of = pd.Timestamp(day).date()
        if refusals[index] is not None:
            assets[code] = AssetServing(code, as_of, None, refusals[index])
            continue
        position = next(answered)
        answer = PredictionResponse(
            ativo=code,
            as_of=as_of,
            age_days=0,
            stale=False,
            last_close=round(
                float(served["fechamento"].iloc[position]), decimals[position]
            ),
            horizon_days=int(manifest["horizon_days"]),
            model_version=str(manifest["version"]),
            seen_in_training=code in trained_on,
            missing_inputs=missing[index],
            recommended=recommended,
            predictions={name: out[position] for name, out in per_model.items()},
        )
        assets[code] = AssetServing(code, as_of, answer)
    refused = {code: item.refusal for code, item in assets.items() if item.refusal}
    if refused:
        logger.info(
            "Not answering for %s",
            "; ".join(refusal.message for refusal in refused.values()),
        )
    return ServingState(
        version=str(manifest["version"]),
        manifest=manifest,
        loaded_at=now,
        models=bundle.models,
        features=FeaturesInUse(
            fingerprint=fingerprint,
            loaded_at=now,
            as_of=max(item.as_of for item in assets.values()),
        ),
        policy=policy,
        assets=assets,
    )
