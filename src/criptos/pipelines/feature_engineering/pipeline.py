"""The feature_engineering pipeline: validate raw candles, build and publish features."""

from kedro.pipeline import Node, Pipeline

from criptos.pipelines.feature_engineering.nodes import (
    build_features,
    publish_latest_features,
    validate_raw_candles,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                func=validate_raw_candles,
                inputs=["raw_candles", "params:validation"],
                outputs=[
                    "candles_validated",
                    "candles_quarantined",
                    "validation_report",
                ],
                name="validate_raw_candles",
            ),
            Node(
                func=build_features,
                inputs=[
                    "candles_validated",
                    "params:feature_engineering",
                    "cripto_features_previous",
                ],
                outputs="cripto_features_dated",
                name="build_features",
            ),
            Node(
                func=publish_latest_features,
                inputs="cripto_features_dated",
                outputs="cripto_features_latest",
                name="publish_latest_features",
            ),
        ]
    )
