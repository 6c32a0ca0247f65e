"""The export pipeline: the models of one training run to one ``model_registry`` version."""

from functools import partial, update_wrapper

from kedro.pipeline import Node, Pipeline

from criptos.pipelines.export.nodes import export_models

# The trained models that make one version (members of the training_run entry).
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
                func=update_wrapper(
                    partial(export_models, model_names=EXPORTED_MODELS), export_models
                ),
                inputs={
                    "training_run": "training_run",
                    "newest_seal": "training_run_seal",
                    "export": "params:export",
                },
                outputs="model_registry",
                name="export_models",
            )
        ]
    )
