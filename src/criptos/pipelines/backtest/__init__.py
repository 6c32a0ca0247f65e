"""Out-of-fold forecasts traded as strategies after costs and delay: backtest.json and plots."""
