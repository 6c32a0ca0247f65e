"""Nodes of the training pipeline (the work itself lives in ``criptos.modeling``)."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from sklearn.pipeline import Pipeline

from criptos.modeling.columns import select_feature_columns
from criptos.modeling.estimators import limited_openmp_threads
from criptos.modeling.evaluation import evaluate_model, fit_model
from criptos.modeling.folds import Fold, walk_forward_folds
from criptos.modeling.labels import add_labels
from criptos.modeling.params import TrainingParams
from criptos.modeling.report import build_metrics_report, build_training_summary

logger = logging.getLogger(__name__)


def prepare_training_table(
    features: pd.DataFrame, training: dict[str, Any]
) -> pd.DataFrame:
    """Check the training parameters, then label the feature rows (unlabelled rows dropped)."""
    params = TrainingParams.from_dict(training)
    table = add_labels(features, params.horizon)
    columns = select_feature_columns(table, params.excluded_columns)
    logger.info(
        "Labelled %d of %d feature rows (%d assets) for a %d-day horizon; %d model inputs "
        "(%d categorical)",
        len(table),
        len(features),
        table["ativo"].nunique(),
        params.horizon,
        len(columns.names),
        len(columns.categorical),
    )
    return table


def split_walk_forward(table: pd.DataFrame, training: dict[str, Any]) -> list[Fold]:
    """Walk-forward folds over the unique dates of the labelled rows."""
    params = TrainingParams.from_dict(training)
    folds = walk_forward_folds(
        table["data"], params.n_splits, params.gap, params.horizon
    )
    for fold in folds:
        logger.info("Fold %s", fold.describe())
    return folds


def evaluate_training_model(
    table: pd.DataFrame, folds: list[Fold], training: dict[str, Any], model_name: str
) -> dict[str, Any]:
    """Walk-forward scores of one model and of its baseline on the same folds."""
    params = TrainingParams.from_dict(training)
    columns = select_feature_columns(table, params.excluded_columns)
    with limited_openmp_threads(params.openmp_threads):
        return evaluate_model(
            table, folds, params.model(model_name), columns, params.random_seed
        )


def fit_training_model(
    table: pd.DataFrame, training: dict[str, Any], model_name: str
) -> Pipeline:
    """One model refitted on every labelled row: the artifact that is saved."""
    params = TrainingParams.from_dict(training)
    columns = select_feature_columns(table, params.excluded_columns)
    with limited_openmp_threads(params.openmp_threads):
        return fit_model(table, params.model(model_name), columns, params.random_seed)


def report_training_metrics(
    table: pd.DataFrame,
    folds: list[Fold],
    training: dict[str, Any],
    *evaluations: dict[str, Any],
) -> dict[str, Any]:
    """The metrics document; logs each model against its baseline."""
    params = TrainingParams.from_dict(training)
    report = build_metrics_report(list(evaluations), folds, table, params)
    for name, entry in report["models"].items():
        metric = entry["beats_baseline_metric"]
        logger.info(
            "%s: cv %s %s vs baseline %s -> %s",
            name,
            metric,
            entry["cv"][metric],
            entry["baseline"][metric],
            "beats the baseline"
            if entry["beats_baseline"]
            else "does NOT beat the baseline",
        )
    return report


def collect_out_of_fold_predictions(*evaluations: dict[str, Any]) -> pd.DataFrame:
    """Every model's out-of-fold forecasts with its baseline's and the realized value.

    ``predicted`` and ``baseline`` hold a log return for regressors and P(up) for
    classifiers; ``realized`` holds the matching label.
    """
    frames = [
        evaluation["out_of_fold"].assign(
            model=evaluation["name"], task=evaluation["task"]
        )
        for evaluation in evaluations
    ]
    predictions = pd.concat(frames, ignore_index=True)
    leading = ["model", "task", "ativo", "data", "fold"]
    return predictions[
        [*leading, *(c for c in predictions.columns if c not in leading)]
    ]


def summarize_training(table: pd.DataFrame, training: dict[str, Any]) -> dict[str, Any]:
    """Horizon, feature columns, training data and per-model facts for the export."""
    params = TrainingParams.from_dict(training)
    columns = select_feature_columns(table, params.excluded_columns)
    return build_training_summary(table, columns, params)
