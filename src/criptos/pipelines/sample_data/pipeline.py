"""The sample_data pipeline: seeds data/01_raw/raw.csv on a fresh project."""

from kedro.pipeline import Node, Pipeline

from criptos.pipelines.sample_data.nodes import seed_raw_candles


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                func=seed_raw_candles,
                inputs=["embedded_raw_candles", "params:sample_data"],
                outputs="sample_raw_candles",
                name="seed_raw_candles",
            )
        ]
    )
