"""The feature_engineering pipeline: validate raw candles, update the candle history,
build and publish its features."""

from kedro.pipeline import Node, Pipeline

from criptos.pipelines.feature_engineering.nodes import (
    build_features,
    publish_latest_features,
    update_candle_history,
    validate_raw_candles,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                func=validate_raw_candles,
                inputs=["raw_candles", "params:validation", "params:run_date"],
                outputs=[
                    "candles_validated",
                    "candles_quarantined",
                    "validation_report",
                ],
                name="validate_raw_candles",
            ),
            Node(
                func=update_candle_history,
                inputs=[
                    "candles_validated",
                    "candles_history_previous",
                    "params:feature_engineering",
                    "validation_report",
                ],
                outputs="candles_history",
                name="update_candle_history",
            ),
            Node(
                func=build_features,
                inputs=[
                    "candles_history",
                    "params:feature_engineering",
                    "cripto_features_previous",
                ],
                outputs="cripto_features_dated",
                name="build_features",
            ),
            Node(
                func=publish_latest_features,
                inputs=[
                    "cripto_features_dated",
                    "candles_history",
                    "validation_report",
                ],
                outputs="cripto_features_latest@spark",
                name="publish_latest_features",
            ),
        ]
    )
