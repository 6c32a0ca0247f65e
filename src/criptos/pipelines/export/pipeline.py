"""The export pipeline: the models of one training run to one ``model_registry`` version."""

from kedro.pipeline import Node, Pipeline

from criptos.pipelines.export.nodes import export_models


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                func=export_models,
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
