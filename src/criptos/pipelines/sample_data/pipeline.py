"""The sample_data pipeline: seeds data/01_raw/raw.csv on a fresh project."""

from kedro.pipeline import Node, Pipeline

from criptos.pipelines.sample_data.nodes import generate_sample_candles


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                func=generate_sample_candles,
                inputs="params:sample_data",
                outputs="sample_raw_candles",
                name="generate_sample_candles",
            )
        ]
    )
