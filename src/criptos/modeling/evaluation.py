"""Walk-forward evaluation of one model next to its naive baseline.

For every fold the model and the baseline are fitted on the training rows and
scored on the test rows; the out-of-fold forecasts of all folds are then scored per
asset as well.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from criptos.modeling.columns import FeatureColumns
from criptos.modeling.estimators import build_baseline, build_model
from criptos.modeling.folds import Fold
from criptos.modeling.labels import CLOSE, DIRECTION_TARGET, RETURN_TARGET
from criptos.modeling.metrics import classification_metrics, regression_metrics
from criptos.modeling.params import CLASSIFICATION, REGRESSION, ModelSpec

logger = logging.getLogger(__name__)

TARGETS = {REGRESSION: RETURN_TARGET, CLASSIFICATION: DIRECTION_TARGET}


def target_of(task: str) -> str:
    """The label column a model of ``task`` learns."""
    return TARGETS[task]


def _forecast(
    model: BaseEstimator, task: str, inputs: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Point forecast (return or class) and, for classifiers, the probability of "up"."""
    point = np.asarray(model.predict(inputs))
    if task == REGRESSION:
        forecast = point.astype(np.float64)
        return forecast, forecast  # no probability: the return stands in, unused
    classes = list(model.classes_)
    probabilities = model.predict_proba(inputs)
    if True in classes:
        probability_up = probabilities[:, classes.index(True)]
    else:
        probability_up = np.zeros(len(inputs))
    return point.astype(bool), probability_up.astype(np.float64)


def _score(
    task: str, rows: pd.DataFrame, point: np.ndarray, probability: np.ndarray
) -> dict[str, Any]:
    if task == REGRESSION:
        return regression_metrics(
            rows[CLOSE].to_numpy(dtype=np.float64),
            rows[RETURN_TARGET].to_numpy(dtype=np.float64),
            point,
            rows["data"].to_numpy(),
        )
    return classification_metrics(
        rows[DIRECTION_TARGET].to_numpy(dtype=bool), point, probability
    )


def evaluate_model(
    table: pd.DataFrame,
    folds: list[Fold],
    spec: ModelSpec,
    columns: FeatureColumns,
    random_seed: int,
) -> dict[str, Any]:
    """Per-fold and per-asset scores of ``spec`` and of its baseline on ``folds``."""
    inputs = table[list(columns.names)]
    target = table[target_of(spec.task)].to_numpy()
    model_template = build_model(spec, columns, random_seed)
    baseline_template = build_baseline(spec.task)
    forecasts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {
        "model": [],
        "baseline": [],
    }
    fold_scores: dict[str, list[dict[str, Any]]] = {"model": [], "baseline": []}
    started = time.perf_counter()
    for fold in folds:
        fold_started = time.perf_counter()
        test_rows = table.iloc[fold.test_rows]
        for role, template in (
            ("model", model_template),
            ("baseline", baseline_template),
        ):
            estimator = clone(template).fit(
                inputs.iloc[fold.train_rows], target[fold.train_rows]
            )
            point, probability = _forecast(
                estimator, spec.task, inputs.iloc[fold.test_rows]
            )
            forecasts[role].append((point, probability))
            scores = _score(spec.task, test_rows, point, probability)
            fold_scores[role].append({"fold": fold.number, **scores})
        logger.info(
            "%s fold %d/%d: trained on %d rows, tested on %d rows in %.2f s",
            spec.name,
            fold.number + 1,
            len(folds),
            len(fold.train_rows),
            len(fold.test_rows),
            time.perf_counter() - fold_started,
        )
    logger.info(
        "%s: %d folds evaluated in %.2f s",
        spec.name,
        len(folds),
        time.perf_counter() - started,
    )
    out_of_fold_rows = table.iloc[np.concatenate([fold.test_rows for fold in folds])]
    out_of_fold = {
        role: tuple(np.concatenate(parts) for parts in zip(*pairs, strict=True))
        for role, pairs in forecasts.items()
    }
    forecast_column = {"model": "predicted", "baseline": "baseline"}
    predictions = out_of_fold_rows[["ativo", "data", CLOSE]].assign(
        fold=np.concatenate(
            [np.full(len(fold.test_rows), fold.number) for fold in folds]
        ),
        realized=out_of_fold_rows[target_of(spec.task)].to_numpy(dtype=np.float64),
        **{
            forecast_column[role]: probability
            for role, (_, probability) in out_of_fold.items()
        },
    )
    per_asset: dict[str, dict[str, Any]] = {}
    for asset in sorted(out_of_fold_rows["ativo"].unique()):
        mask = (out_of_fold_rows["ativo"] == asset).to_numpy()
        entry: dict[str, Any] = {"rows": int(mask.sum())}
        for role, (point, probability) in out_of_fold.items():
            entry[role] = _score(
                spec.task, out_of_fold_rows.loc[mask], point[mask], probability[mask]
            )
        per_asset[str(asset)] = entry
    return {
        "name": spec.name,
        "task": spec.task,
        "target": target_of(spec.task),
        "cv_folds": fold_scores["model"],
        "baseline_folds": fold_scores["baseline"],
        "per_asset": per_asset,
        # Out-of-fold forecasts: the log return (regression) or P(up) (classification).
        "out_of_fold": predictions.reset_index(drop=True),
    }


def fit_model(
    table: pd.DataFrame, spec: ModelSpec, columns: FeatureColumns, random_seed: int
):
    """``spec`` fitted on every labelled row (the model that is saved and served)."""
    started = time.perf_counter()
    model = build_model(spec, columns, random_seed)
    model.fit(table[list(columns.names)], table[target_of(spec.task)].to_numpy())
    logger.info(
        "%s: final fit on %d rows in %.2f s",
        spec.name,
        len(table),
        time.perf_counter() - started,
    )
    return model
