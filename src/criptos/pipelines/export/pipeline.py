"""The export pipeline: the five trained models to one version of ``model_registry``."""

from kedro.pipeline import Node, Pipeline

from criptos.pipelines.export.nodes import export_models

# The trained models that make one version (catalog entries of the training pipeline).
EXPORTED_MODELS: tuple[str, ...] = (
    "regressor_lin",
    "regressor_gbr",
    "regressor_rf",
    "classifier_log",
    "classifier_rf",
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                func=export_models,
                inputs={
                    "training_summary": "training_summary",
                    "training_metrics": "training_metrics",
                    "export": "params:export",
                    **{name: name for name in EXPORTED_MODELS},
                },
                outputs="model_registry",
                name="export_models",
            )
        ]
    )
