"""The training pipeline: labels, walk-forward evaluation, final fits and reports."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from criptos.config.models import configured_model_names
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


def model_pipeline() -> Pipeline:
    """One model's evaluation and final fit (namespaced per model by ``per_model``)."""
    return Pipeline(
        [
            Node(
                func=evaluate_training_model,
                inputs=[
                    "training_table",
                    "training_plan",
                    "params:training",
                    "params:model",
                ],
                outputs="evaluation",
                name="evaluate_model",
            ),
            Node(
                func=fit_training_model,
                inputs=["training_table", "params:training", "params:model"],
                outputs="model",
                name="fit_model",
            ),
        ]
    )


def per_model(models: tuple[str, ...]) -> Pipeline:
    """``model_pipeline`` once per model, in a namespace named after it; its outputs
    are ``<model>_evaluation`` and ``<model>_model`` (catalog dataset factories)."""
    return sum(
        (
            Pipeline(
                model_pipeline(),
                namespace=name,
                inputs={"training_table", "training_plan"},
                outputs={"evaluation": f"{name}_evaluation", "model": f"{name}_model"},
                parameters={
                    "params:training": "params:training",
                    "params:model": f"params:training.models.{name}",
                },
            )
            for name in models
        ),
        Pipeline([]),
    )


def create_pipeline(**kwargs) -> Pipeline:
    models = configured_model_names()
    evaluations = [f"{name}_evaluation" for name in models]
    return per_model(models) + Pipeline(
        [
            Node(
                func=prepare_training_table,
                inputs=["cripto_features_latest@pandas", "params:training"],
                outputs="training_table",
                name="prepare_training_table",
            ),
            Node(
                func=plan_walk_forward,
                inputs=["training_table", "params:training"],
                outputs="training_plan",
                name="plan_walk_forward",
            ),
            Node(
                func=report_training_metrics,
                inputs=[
                    "training_table",
                    "training_plan",
                    "params:training",
                    *evaluations,
                ],
                outputs="training_metrics",
                name="report_training_metrics",
            ),
            Node(
                func=collect_predictions,
                inputs=evaluations,
                outputs="training_predictions",
                name="collect_predictions",
            ),
            Node(
                func=collect_feature_importance,
                inputs=evaluations,
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
                    **{name: f"{name}_model" for name in models},
                },
                outputs="training_run_seal",
                name="seal_training_run",
            ),
        ]
    )
