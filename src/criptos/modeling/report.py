"""The JSON documents of a training run: the metrics and the training summary.

Both are plain, deterministic data: keys are sorted when saved, floats are rounded to
``SIGNIFICANT_DIGITS`` significant digits, missing values are ``null`` and there is
no timestamp inside, so the same data and parameters give byte-identical files.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from criptos.modeling.columns import FeatureColumns
from criptos.modeling.evaluation import (
    HOLDOUT,
    WALK_FORWARD,
    baseline_column,
    target_of,
)
from criptos.modeling.folds import WalkForwardPlan
from criptos.modeling.importance import POOLED
from criptos.modeling.metrics import METRICS, score
from criptos.modeling.params import TrainingParams
from criptos.modeling.scale_free import scale_free_names
from criptos.modeling.verdict import adjust_verdicts, verdict_against_baselines

SIGNIFICANT_DIGITS = 6
TOP_FEATURES = 20
TOP_FEATURES_PER_ASSET = 5
PREDICTION_RULES = {
    "regression": "predicted close = fechamento * exp(prediction); prediction is the log return",
    "classification": "predict gives direcao_alvo (True = up); predict_proba[:, 1] is P(up)",
}


def _rounded_number(value: float) -> float | None:
    if not math.isfinite(value):
        return None
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def rounded(value: Any) -> Any:
    """``value`` with every float rounded to significant digits and NaN/inf as None."""
    if isinstance(value, dict):
        return {str(key): rounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(item) for item in value]
    if isinstance(value, np.bool_ | bool | np.integer | int):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, np.floating | float):
        return _rounded_number(float(value))
    return value


def mean_scores(
    fold_scores: list[dict[str, Any]], task: str
) -> dict[str, float | None]:
    """Mean of each scalar metric over folds, skipping folds where it is undefined."""
    means: dict[str, float | None] = {}
    for metric in METRICS[task]:
        values = [
            scores[metric] for scores in fold_scores if scores.get(metric) is not None
        ]
        means[metric] = float(np.mean(values)) if values else None
    return means


def _scores(task: str, rows: pd.DataFrame, column: str) -> dict[str, Any]:
    """Metrics of one forecast column, without the calibration bins."""
    scores = score(task, rows, column)
    scores.pop("calibration", None)
    return scores


def _sample_scores(
    task: str, rows: pd.DataFrame, column: str, by_fold: bool
) -> dict[str, Any]:
    """``cv`` (fold means), ``cv_by_fold`` and pooled ``out_of_sample`` scores of a column."""
    pooled = score(task, rows, column)
    if not by_fold:
        return pooled
    folds = [
        {"fold": int(fold), **_scores(task, fold_rows, column)}
        for fold, fold_rows in rows.groupby("fold", sort=True)
    ]
    return {
        "cv": mean_scores(folds, task),
        "cv_by_fold": folds,
        "out_of_sample": pooled,
    }


def _by_asset(task: str, rows: pd.DataFrame, baselines: list[str]) -> dict[str, Any]:
    return {
        str(asset): {
            "rows": int(len(asset_rows)),
            "model": _scores(task, asset_rows, "predicted"),
            "baselines": {
                name: _scores(task, asset_rows, baseline_column(name))
                for name in baselines
            },
        }
        for asset, asset_rows in rows.groupby("ativo", sort=True)
    }


def _top_features(importance: pd.DataFrame | None, scope: str, count: int) -> list:
    if importance is None:
        return []
    rows = importance[importance["scope"] == scope].head(count)
    return [
        {"name": row.feature, "mean": row.mean, "std": row.std}
        for row in rows.itertuples(index=False)
    ]


def _model_entry(
    evaluation: dict[str, Any], params: TrainingParams
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """One model's entry, its walk-forward verdict and its hold-out verdict (unadjusted)."""
    task, baselines = evaluation["task"], evaluation["baselines"]
    loss = params.verdict_loss[task]
    predictions = evaluation["predictions"]
    walk_forward = predictions[predictions["sample"] == WALK_FORWARD]
    holdout = predictions[predictions["sample"] == HOLDOUT]
    model_scores = _sample_scores(task, walk_forward, "predicted", by_fold=True)
    importance = evaluation["feature_importance"]
    entry = {
        "task": task,
        "target": evaluation["target"],
        **model_scores,
        "baselines": {
            name: _sample_scores(task, walk_forward, baseline_column(name), True)
            for name in baselines
        },
        "by_asset": _by_asset(task, walk_forward, baselines),
        "feature_importance": _top_features(importance, POOLED, TOP_FEATURES),
        "feature_importance_by_asset": {
            asset: _top_features(importance, asset, TOP_FEATURES_PER_ASSET)
            for asset in sorted(set(importance["scope"]) - {POOLED})
        }
        if importance is not None
        else {},
    }
    verdict = verdict_against_baselines(
        walk_forward, task, loss, baselines, params.horizon
    )
    holdout_verdict = None
    if len(holdout):
        entry["holdout"] = {
            **score(task, holdout, "predicted"),
            "baselines": {
                name: _scores(task, holdout, baseline_column(name))
                for name in baselines
            },
        }
        holdout_verdict = verdict_against_baselines(
            holdout, task, loss, baselines, params.horizon
        )
    else:
        entry["holdout"] = None
    return entry, verdict, holdout_verdict


def describe_data(table: pd.DataFrame) -> dict[str, Any]:
    """Row count, assets and date range of the labelled training rows."""
    return {
        "rows": int(len(table)),
        "assets": sorted(str(asset) for asset in table["ativo"].unique()),
        "rows_per_asset": {
            str(asset): int(count)
            for asset, count in table["ativo"].value_counts().sort_index().items()
        },
        "date_start": table["data"].min().strftime("%Y-%m-%d"),
        "date_end": table["data"].max().strftime("%Y-%m-%d"),
    }


def build_metrics_report(
    evaluations: list[dict[str, Any]],
    plan: WalkForwardPlan,
    table: pd.DataFrame,
    params: TrainingParams,
) -> dict[str, Any]:
    """``metrics.json``: per model scores, baselines, verdicts, hold-out, importance."""
    models, verdicts, holdout_verdicts = {}, {}, {}
    for evaluation in evaluations:
        name = evaluation["name"]
        models[name], verdicts[name], holdout = _model_entry(evaluation, params)
        if holdout is not None:
            holdout_verdicts[name] = holdout
    level = params.significance_level
    for name, verdict in adjust_verdicts(verdicts, level).items():
        models[name]["verdict"] = verdict
    for name, verdict in adjust_verdicts(holdout_verdicts, level).items():
        models[name]["holdout"]["verdict"] = verdict
    return rounded(
        {
            "models": models,
            **plan.describe(),
            "data": describe_data(table),
            "params": {
                "horizon": params.horizon,
                "n_splits": params.n_splits,
                "gap": params.gap,
                "retrain_every_days": params.retrain_every_days,
                "max_train_days": params.max_train_days,
                "holdout_days": params.holdout_days,
                "scale_free_inputs": params.scale_free_inputs,
                "significance_level": level,
                "verdict_loss": params.verdict_loss.model_dump(),
            },
        }
    )


def verdict_summary(metrics: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{name: {verdict, holdout_verdict}}``: what the summary, manifest and API show."""
    return {
        name: {
            "verdict": entry["verdict"],
            "holdout_verdict": (entry.get("holdout") or {}).get("verdict"),
        }
        for name, entry in metrics["models"].items()
    }


def build_training_summary(
    table: pd.DataFrame,
    columns: FeatureColumns,
    params: TrainingParams,
    metrics: dict[str, Any],
) -> dict[str, Any]:
    """What a consumer of the saved models needs besides the models themselves.

    Each model carries its verdicts exactly as ``metrics.json`` has them.
    """
    verdicts = verdict_summary(metrics)
    models = {}
    for name, spec in params.models.items():
        estimator = spec.make_estimator(params.random_seed)
        effective = estimator.get_params(deep=False)
        chosen = sorted(set(spec.kwargs) | ({"random_state"} & set(effective)))
        models[name] = {
            "task": spec.task,
            "target": target_of(spec.task),
            "estimator": spec.estimator,
            "estimator_kwargs": {key: effective[key] for key in chosen},
            "scaler": spec.scaler,
            "prediction": PREDICTION_RULES[spec.task],
            **verdicts[name],
        }
    return rounded(
        {
            "horizon": params.horizon,
            "horizon_unit": "days",
            "targets": {
                "retorno_alvo": "log(fechamento[t + horizon] / fechamento[t]) per asset",
                "direcao_alvo": "retorno_alvo > 0",
            },
            "feature_columns": columns.describe(),
            "model_inputs": list(
                scale_free_names(columns.names)
                if params.scale_free_inputs
                else columns.names
            ),
            "training_data": describe_data(table),
            "models": models,
            "random_seed": params.random_seed,
        }
    )
