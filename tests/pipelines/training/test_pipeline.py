"""The training pipeline's shape: explicit nodes, declared outputs, part of __default__."""

from __future__ import annotations

from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from criptos.config.models import configured_model_names
from criptos.modeling.params import TrainingParams
from criptos.pipeline_registry import register_pipelines
from criptos.pipelines.training.pipeline import create_pipeline
from tests.pipelines.training.synthetic import fast_training_params

MODEL_NAMES = configured_model_names()


def test_one_namespace_per_model_with_its_evaluation_and_final_fit():
    pipeline = create_pipeline()
    names = {node.name for node in pipeline.nodes}
    for model in MODEL_NAMES:
        assert {f"{model}.evaluate_model", f"{model}.fit_model"} <= names
        namespaced = [node for node in pipeline.nodes if node.namespace == model]
        assert {tuple(node.outputs) for node in namespaced} == {
            (f"{model}_evaluation",),
            (f"{model}_model",),
        }
        assert all(
            f"params:training.models.{model}" in node.inputs for node in namespaced
        )
    assert {
        "prepare_training_table",
        "plan_walk_forward",
        "report_training_metrics",
        "collect_predictions",
        "collect_feature_importance",
        "plot_scores_by_fold",
        "plot_scores_by_asset",
        "plot_predicted_vs_realized",
        "plot_verdicts",
        "plot_feature_importance",
        "summarize_training",
        "seal_training_run",
    } <= names
    assert len(names) == 12 + 2 * len(MODEL_NAMES)


def test_inputs_and_outputs_are_the_catalog_contract():
    pipeline = create_pipeline()
    assert pipeline.inputs() == {
        "cripto_features_latest@pandas",
        "params:training",
        *(f"params:training.models.{name}" for name in MODEL_NAMES),
    }
    # training_metrics and training_predictions feed the plots, so they are not free
    # outputs of the pipeline, but they are persisted (see the catalog test).
    # The seal is saved last: every other artifact of the run is one of its inputs.
    assert pipeline.outputs() == {
        "training_run_seal",
        "evaluation_by_fold_plot",
        "evaluation_by_asset_plot",
        "predicted_vs_realized_plot",
        "verdict_plot",
        "feature_importance_plot",
    }
    assert {
        *(f"{name}_model" for name in MODEL_NAMES),
        "training_summary",
        "training_metrics",
        "training_predictions",
        "feature_importance",
    } <= pipeline.all_outputs()
    seal = next(node for node in pipeline.nodes if node.name == "seal_training_run")
    assert set(seal.inputs) == {
        *(f"{name}_model" for name in MODEL_NAMES),
        "training_summary",
        "training_metrics",
    }


def test_training_runs_by_default_after_feature_engineering():
    pipelines = register_pipelines()
    default_nodes = {node.name for node in pipelines["__default__"].nodes}
    assert {node.name for node in pipelines["training"].nodes} <= default_nodes
    assert "cripto_features_latest@spark" in pipelines["feature_engineering"].outputs()


def test_a_slice_with_one_model_namespace_runs_in_process(real_features):
    """SequentialRunner on a catalog of memory datasets: the labels, the plan and one
    model's namespace, fed the parsed parameters as a Kedro run feeds them."""
    training = TrainingParams.of(fast_training_params(n_splits=2))
    model = training.model("regressor_lin")
    pipeline = create_pipeline().to_outputs("regressor_lin_evaluation")
    assert {node.name for node in pipeline.nodes} == {
        "prepare_training_table",
        "plan_walk_forward",
        "regressor_lin.evaluate_model",
    }
    catalog = DataCatalog(
        datasets={
            "cripto_features_latest@pandas": MemoryDataset(real_features),
            "params:training": MemoryDataset(training),
            "params:training.models.regressor_lin": MemoryDataset(model),
        }
    )
    SequentialRunner().run(pipeline, catalog)
    evaluation = catalog.load("regressor_lin_evaluation")
    assert evaluation["name"] == "regressor_lin"
    predictions = evaluation["predictions"]
    assert set(predictions["sample"]) == {"walk_forward", "holdout"}
    assert predictions["predicted"].notna().all()
