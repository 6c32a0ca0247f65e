"""The training pipeline: labels, walk-forward evaluation, final fits and reports."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, update_wrapper

from kedro.pipeline import Node, Pipeline

from criptos.modeling.params import MODEL_NAMES
from criptos.modeling.plots import (
    plot_feature_importance,
    plot_predicted_vs_realized,
    plot_scores_by_asset,
    plot_scores_by_fold,
    plot_verdicts,
)
from criptos.pipelines.training.nodes import (
    collect_feature_importance,
    collect_predictions,
    evaluate_training_model,
    fit_training_model,
    plan_walk_forward,
    prepare_training_table,
    report_training_metrics,
    seal_training_run,
    summarize_training,
)


def _for_model(func: Callable, model_name: str) -> Callable:
    """``func`` with ``model_name`` bound, keeping its name for Kedro's logs."""
    return update_wrapper(partial(func, model_name=model_name), func)


def create_pipeline(**kwargs) -> Pipeline:
    per_model = []
    for name in MODEL_NAMES:
        per_model += [
            Node(
                func=_for_model(evaluate_training_model, name),
                inputs=["training_table", "training_plan", "params:training"],
                outputs=f"{name}_evaluation",
                name=f"evaluate_{name}",
            ),
            Node(
                func=_for_model(fit_training_model, name),
                inputs=["training_table", "params:training"],
                outputs=name,
                name=f"fit_{name}",
            ),
        ]
    return Pipeline(
        [
            Node(
                func=prepare_training_table,
                inputs=["cripto_features_latest", "params:training"],
                outputs="training_table",
                name="prepare_training_table",
            ),
            Node(
                func=plan_walk_forward,
                inputs=["training_table", "params:training"],
                outputs="training_plan",
                name="plan_walk_forward",
            ),
            *per_model,
            Node(
                func=report_training_metrics,
                inputs=[
                    "training_table",
                    "training_plan",
                    "params:training",
                    *(f"{name}_evaluation" for name in MODEL_NAMES),
                ],
                outputs="training_metrics",
                name="report_training_metrics",
            ),
            Node(
                func=collect_predictions,
                inputs=[f"{name}_evaluation" for name in MODEL_NAMES],
                outputs="training_predictions",
                name="collect_predictions",
            ),
            Node(
                func=collect_feature_importance,
                inputs=[f"{name}_evaluation" for name in MODEL_NAMES],
                outputs="feature_importance",
                name="collect_feature_importance",
            ),
            Node(
                func=plot_verdicts,
                inputs="training_metrics",
                outputs="verdict_plot",
                name="plot_verdicts",
            ),
            Node(
                func=plot_feature_importance,
                inputs="feature_importance",
                outputs="feature_importance_plot",
                name="plot_feature_importance",
            ),
            Node(
                func=plot_scores_by_fold,
                inputs="training_metrics",
                outputs="evaluation_by_fold_plot",
                name="plot_scores_by_fold",
            ),
            Node(
                func=plot_scores_by_asset,
                inputs="training_metrics",
                outputs="evaluation_by_asset_plot",
                name="plot_scores_by_asset",
            ),
            Node(
                func=plot_predicted_vs_realized,
                inputs="training_predictions",
                outputs="predicted_vs_realized_plot",
                name="plot_predicted_vs_realized",
            ),
            Node(
                func=summarize_training,
                inputs=["training_table", "params:training", "training_metrics"],
                outputs="training_summary",
                name="summarize_training",
            ),
            Node(
                func=seal_training_run,
                inputs={
                    "training_summary": "training_summary",
                    "training_metrics": "training_metrics",
                    **{name: name for name in MODEL_NAMES},
                },
                outputs="training_run_seal",
                name="seal_training_run",
            ),
        ]
    )
