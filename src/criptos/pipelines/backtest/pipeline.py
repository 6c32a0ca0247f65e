"""The backtest pipeline: training's out-of-fold forecasts traded after costs and delay."""

from kedro.pipeline import Node, Pipeline

from criptos.pipelines.backtest.nodes import backtest_plots, daily_returns, run_backtest


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                func=daily_returns,
                inputs="cripto_features_latest@pandas",
                outputs="backtest_realised_returns",
                name="backtest_realised_returns",
            ),
            Node(
                func=run_backtest,
                inputs={
                    "predictions": "training_predictions",
                    "returns": "backtest_realised_returns",
                    "backtest": "params:backtest",
                    "horizon": "params:training.horizon",
                },
                outputs=["backtest_report", "backtest_daily_returns"],
                name="backtest_strategies",
            ),
            Node(
                func=backtest_plots,
                inputs=["backtest_report", "backtest_daily_returns"],
                outputs=[
                    "backtest_equity_plot",
                    "backtest_drawdown_plot",
                    "backtest_sharpe_plot",
                ],
                name="backtest_plots",
            ),
        ]
    )
