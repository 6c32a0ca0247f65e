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
from criptos.modeling.evaluation import target_of
from criptos.modeling.folds import Fold
from criptos.modeling.metrics import METRICS
from criptos.modeling.params import TrainingParams

SIGNIFICANT_DIGITS = 6
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
    """Mean of each metric over folds, skipping folds where it is undefined (None)."""
    means: dict[str, float | None] = {}
    for metric in METRICS[task]:
        values = [
            scores[metric] for scores in fold_scores if scores[metric] is not None
        ]
        means[metric] = float(np.mean(values)) if values else None
    return means


def beats_baseline(
    model: dict[str, Any], baseline: dict[str, Any], task: str, metric: str
) -> bool:
    """Whether the model's mean ``metric`` is strictly better than the baseline's."""
    model_value, baseline_value = model[metric], baseline[metric]
    if model_value is None or baseline_value is None:
        return False
    higher_is_better = METRICS[task][metric]
    return (
        model_value > baseline_value
        if higher_is_better
        else model_value < baseline_value
    )


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
    folds: list[Fold],
    table: pd.DataFrame,
    params: TrainingParams,
) -> dict[str, Any]:
    """``metrics.json``: per model cv means, folds, baseline, verdict and per-asset scores."""
    models = {}
    for evaluation in evaluations:
        task = evaluation["task"]
        metric = params.beats_baseline_metric[task]
        cv = mean_scores(evaluation["cv_folds"], task)
        baseline = mean_scores(evaluation["baseline_folds"], task)
        models[evaluation["name"]] = {
            "task": task,
            "target": evaluation["target"],
            "cv": cv,
            "cv_folds": evaluation["cv_folds"],
            "baseline": baseline,
            "baseline_folds": evaluation["baseline_folds"],
            "beats_baseline": beats_baseline(cv, baseline, task, metric),
            "beats_baseline_metric": metric,
            "per_asset": evaluation["per_asset"],
        }
    return rounded(
        {
            "models": models,
            "folds": [fold.describe() for fold in folds],
            "data": describe_data(table),
            "params": {
                "horizon": params.horizon,
                "n_splits": params.n_splits,
                "gap": params.gap,
            },
        }
    )


def build_training_summary(
    table: pd.DataFrame, columns: FeatureColumns, params: TrainingParams
) -> dict[str, Any]:
    """What a consumer of the saved models needs besides the models themselves."""
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
            "training_data": describe_data(table),
            "models": models,
            "random_seed": params.random_seed,
        }
    )
