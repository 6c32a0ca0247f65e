"""Nodes of the training pipeline (the work itself lives in ``criptos.modeling``)."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from sklearn.pipeline import Pipeline

from criptos.modeling.columns import select_feature_columns
from criptos.modeling.estimators import limited_openmp_threads
from criptos.modeling.evaluation import evaluate_model, fit_model
from criptos.modeling.folds import WalkForwardPlan, walk_forward_plan
from criptos.modeling.labels import add_labels
from criptos.modeling.params import ModelSpec, TrainingParams, TrainingParamsError
from criptos.modeling.report import build_metrics_report, build_training_summary

logger = logging.getLogger(__name__)


def prepare_training_table(
    features: pd.DataFrame, training: TrainingParams
) -> pd.DataFrame:
    """Label the feature rows (unlabelled rows dropped) for the training horizon."""
    params = TrainingParams.of(training)
    _check_horizon_fits(features, params.horizon)
    table = add_labels(features, params.horizon)
    columns = select_feature_columns(table, params.excluded_columns)
    logger.info(
        "Labelled %d of %d feature rows (%d assets) for a %d-day horizon; %d feature "
        "columns (%d categorical)%s",
        len(table),
        len(features),
        table["ativo"].nunique(),
        params.horizon,
        len(columns.names),
        len(columns.categorical),
        ", made scale-free for the models" if params.scale_free_inputs else "",
    )
    return table


def _check_horizon_fits(features: pd.DataFrame, horizon: int) -> None:
    """Refuse a horizon no asset's history is long enough to label, before any fit."""
    if features.empty:
        raise TrainingParamsError("the feature table has no rows to train on")
    spans = features.groupby("ativo", sort=True)["data"].agg(["min", "max"])
    longest = int((spans["max"] - spans["min"]).max().days)
    if horizon > longest:
        raise TrainingParamsError(
            f"training.horizon ({horizon} days) is longer than the longest asset history "
            f"({longest} days between its first and last candle): no row can be labelled"
        )


def plan_walk_forward(table: pd.DataFrame, training: TrainingParams) -> WalkForwardPlan:
    """Walk-forward folds of refits and the hold-out over the labelled dates."""
    params = TrainingParams.of(training)
    try:
        plan = walk_forward_plan(
            table["data"],
            n_splits=params.n_splits,
            gap=params.gap,
            horizon=params.horizon,
            retrain_every_days=params.retrain_every_days,
            max_train_days=params.max_train_days,
            holdout_days=params.holdout_days,
        )
    except ValueError as error:
        raise TrainingParamsError(
            f"cannot plan the walk-forward on {table['data'].nunique()} labelled dates "
            f"(training.n_splits {params.n_splits}, gap {params.gap}, holdout_days "
            f"{params.holdout_days}, retrain_every_days {params.retrain_every_days}): "
            f"{error}"
        ) from None
    for fold in plan.folds:
        logger.info("Fold %s", fold.describe())
    if plan.holdout is not None:
        logger.info("Hold-out %s", plan.holdout.describe())
    return plan


def _model_spec(params: TrainingParams, model: Any) -> ModelSpec:
    """The model's block: the ``ModelSpec`` of ``params:training.models.<name>`` that
    ``ParametersHook`` hands the namespaced nodes, or a model name (direct calls).

    Typed ``Any``, not ``ModelSpec``: Kedro's own parameter validation would otherwise
    also build it inside the already parsed ``params:training`` and fail.
    """
    return model if isinstance(model, ModelSpec) else params.model(model)


def evaluate_training_model(
    table: pd.DataFrame,
    plan: WalkForwardPlan,
    training: TrainingParams,
    model: Any,
) -> dict[str, Any]:
    """Walk-forward and hold-out forecasts of one model and its baselines."""
    params = TrainingParams.of(training)
    columns = select_feature_columns(table, params.excluded_columns)
    with limited_openmp_threads(params.openmp_threads):
        return evaluate_model(table, plan, _model_spec(params, model), columns, params)


def fit_training_model(
    table: pd.DataFrame,
    training: TrainingParams,
    model: Any,
) -> Pipeline:
    """One model refitted on every labelled row: the artifact that is saved."""
    params = TrainingParams.of(training)
    columns = select_feature_columns(table, params.excluded_columns)
    with limited_openmp_threads(params.openmp_threads):
        return fit_model(table, _model_spec(params, model), columns, params)


def _verdict_line(name: str, sample: str, verdict: dict[str, Any] | None) -> str:
    if verdict is None:
        return f"{name} {sample}: no hold-out"
    outcome = "BEATS" if verdict["beats_baseline"] else "does not beat"
    return (
        f"{name} {sample}: {outcome} baseline {verdict['baseline']} on "
        f"{verdict['metric']} ({verdict['model_loss']:.6g} vs "
        f"{verdict['baseline_loss']:.6g}, DM t {verdict['statistic']:.2f}, "
        f"Holm p {verdict['p_value_adjusted']:.3g})"
    )


def report_training_metrics(
    table: pd.DataFrame,
    plan: WalkForwardPlan,
    training: TrainingParams,
    *evaluations: dict[str, Any],
) -> dict[str, Any]:
    """The metrics document; logs each model's tested verdicts."""
    params = TrainingParams.of(training)
    report = build_metrics_report(list(evaluations), plan, table, params)
    for name, entry in report["models"].items():
        logger.info("%s", _verdict_line(name, "walk-forward", entry["verdict"]))
        holdout = (entry.get("holdout") or {}).get("verdict")
        logger.info("%s", _verdict_line(name, "hold-out", holdout))
    return report


def collect_predictions(*evaluations: dict[str, Any]) -> pd.DataFrame:
    """Every model's walk-forward and hold-out forecasts with the realized value.

    ``predicted`` and ``baseline_<name>`` hold a log return for regressors and P(up)
    for classifiers (``NaN`` where a baseline belongs to the other task); ``realized``
    holds the matching label.
    """
    frames = [
        evaluation["predictions"].assign(
            model=evaluation["name"], task=evaluation["task"]
        )
        for evaluation in evaluations
    ]
    predictions = pd.concat(frames, ignore_index=True)
    leading = ["model", "task", "sample", "fold", "ativo", "data"]
    return predictions[
        [*leading, *(c for c in predictions.columns if c not in leading)]
    ]


def collect_feature_importance(*evaluations: dict[str, Any]) -> pd.DataFrame:
    """Hold-out permutation importance of every model (empty without a hold-out)."""
    frames = [
        evaluation["feature_importance"].assign(model=evaluation["name"])
        for evaluation in evaluations
        if evaluation["feature_importance"] is not None
    ]
    columns = ["model", "scope", "feature", "mean", "std"]
    if not frames:
        return pd.DataFrame({column: [] for column in columns})
    return pd.concat(frames, ignore_index=True)[columns]


def summarize_training(
    table: pd.DataFrame,
    training: TrainingParams,
    training_metrics: dict[str, Any],
) -> dict[str, Any]:
    """Horizon, feature columns, training data, per-model facts and verdicts."""
    params = TrainingParams.of(training)
    columns = select_feature_columns(table, params.excluded_columns)
    return build_training_summary(table, columns, params, training_metrics)


def seal_training_run(
    training_summary: dict[str, Any], training_metrics: dict[str, Any], **models: Any
) -> dict[str, Any]:
    """The run's seal, saved after every other artifact of the run.

    Its presence under a run's version marks the run complete (``training_run`` reads
    only sealed runs), and the export waits for it within one ``kedro run``.
    """
    return {
        "models": sorted(models),
        "horizon": training_summary["horizon"],
        "rows": training_metrics["data"]["rows"],
    }
