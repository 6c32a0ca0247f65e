"""Walk-forward and hold-out forecasts of one model and of its baselines.

Every window of the plan (``criptos.modeling.folds``) fits the model and each
baseline on its training rows and forecasts its test rows; the windows are
independent, so they run side by side (``training.n_jobs`` worker processes; the
GIL makes threads no faster here) with results that do not depend on how many. The hold-out window is fitted last, and the model
it fits is the one whose permutation importance is measured on the hold-out.
Scoring happens later, on the forecasts (``criptos.modeling.report``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, clone

from criptos.logs.progress import track
from criptos.modeling.columns import FeatureColumns
from criptos.modeling.estimators import build_baselines, build_model
from criptos.modeling.folds import WalkForwardPlan, Window
from criptos.modeling.forecast import forecast
from criptos.modeling.importance import permutation_importance
from criptos.modeling.labels import CLOSE, DIRECTION_TARGET, RETURN_TARGET
from criptos.modeling.params import (
    CLASSIFICATION,
    REGRESSION,
    ModelSpec,
    TrainingParams,
)

logger = logging.getLogger(__name__)

TARGETS = {REGRESSION: RETURN_TARGET, CLASSIFICATION: DIRECTION_TARGET}
WALK_FORWARD, HOLDOUT = "walk_forward", "holdout"
HOLDOUT_FOLD = -1


def target_of(task: str) -> str:
    """The label column a model of ``task`` learns."""
    return TARGETS[task]


def baseline_column(name: str) -> str:
    """The forecast column of baseline ``name`` in the predictions."""
    return f"baseline_{name}"


def _fit_window(
    model: BaseEstimator,
    baselines: dict[str, BaseEstimator],
    task: str,
    inputs: pd.DataFrame,
    target: np.ndarray,
    *,
    window: Window,
    keep_model: bool,
) -> tuple[BaseEstimator | None, dict[str, np.ndarray]]:
    train = inputs.iloc[window.train_rows]
    test = inputs.iloc[window.test_rows]
    forecasts = {}
    fitted_model = None
    for role, template in (("predicted", model), *baselines.items()):
        fitted = clone(template).fit(train, target[window.train_rows])
        column = role if role == "predicted" else baseline_column(role)
        forecasts[column] = forecast(fitted, task, test)
        if role == "predicted" and keep_model:
            fitted_model = fitted
    return fitted_model, forecasts


def evaluate_model(
    table: pd.DataFrame,
    plan: WalkForwardPlan,
    spec: ModelSpec,
    columns: FeatureColumns,
    params: TrainingParams,
) -> dict[str, Any]:
    """Forecasts of ``spec`` and its baselines on every window, and hold-out importance."""
    started = time.perf_counter()
    inputs = table[list(columns.names)]
    target = table[target_of(spec.task)].to_numpy()
    model = build_model(spec, columns, params.random_seed, params.scale_free_inputs)
    baselines = build_baselines(spec.task)
    windows = [
        (WALK_FORWARD, fold.number, window)
        for fold in plan.folds
        for window in fold.windows
    ]
    if plan.holdout is not None:
        windows.append((HOLDOUT, HOLDOUT_FOLD, plan.holdout))
    parallel = Parallel(
        n_jobs=params.n_jobs or -1, backend="loky", return_as="generator"
    )
    results = list(
        track(
            parallel(
                delayed(_fit_window)(
                    model,
                    baselines,
                    spec.task,
                    inputs,
                    target,
                    window=window,
                    keep_model=sample == HOLDOUT,
                )
                for sample, _, window in windows
            ),
            total=len(windows),
            description=f"{spec.name}: windows",
        )
    )
    frames = []
    for (sample, fold, window), (_, forecasts) in zip(windows, results, strict=True):
        rows = table.iloc[window.test_rows]
        frames.append(
            rows[["ativo", "data", CLOSE]].assign(
                sample=sample,
                fold=fold,
                realized=rows[target_of(spec.task)].to_numpy(dtype=np.float64),
                **forecasts,
            )
        )
    predictions = pd.concat(frames, ignore_index=True)
    logger.info(
        "%s: %d fits over %d folds%s in %.2f s",
        spec.name,
        len(windows),
        len(plan.folds),
        " and the hold-out" if plan.holdout is not None else "",
        time.perf_counter() - started,
    )
    importance = None
    if plan.holdout is not None:
        holdout_rows = table.iloc[plan.holdout.test_rows]
        importance = permutation_importance(
            results[-1][0],
            spec.task,
            params.verdict_loss[spec.task],
            inputs=holdout_rows[list(columns.names)],
            realized=holdout_rows[target_of(spec.task)].to_numpy(dtype=np.float64),
            assets=holdout_rows["ativo"].astype(str).to_numpy(),
            repeats=params.importance_repeats,
            seed=params.random_seed,
            n_jobs=params.n_jobs,
        )
    return {
        "name": spec.name,
        "task": spec.task,
        "target": target_of(spec.task),
        "baselines": list(baselines),
        # Forecasts: the log return (regression) or P(up) (classification).
        "predictions": predictions,
        "feature_importance": importance,
    }


def fit_model(table: pd.DataFrame, spec: ModelSpec, columns: FeatureColumns, params):
    """``spec`` fitted on every labelled row (the model that is saved and served)."""
    started = time.perf_counter()
    model = build_model(spec, columns, params.random_seed, params.scale_free_inputs)
    model.fit(table[list(columns.names)], table[target_of(spec.task)].to_numpy())
    logger.info(
        "%s: final fit on %d rows in %.2f s",
        spec.name,
        len(table),
        time.perf_counter() - started,
    )
    return model
