"""The verdict: does a model's forecast lose less than the strongest baseline's?

On one sample (the walk-forward forecasts, or the hold-out), each forecast's loss is
averaged over the assets of its day, giving one loss per day for the model and for
each baseline, on the same rows. The strongest baseline is the one with the lowest
mean daily loss. The model's daily losses are compared with it by a Diebold–Mariano
test (``criptos.modeling.significance``); the p-values of all models of a run are
adjusted with Holm, and ``beats_baseline`` is true only when the adjusted p-value is
below ``training.significance_level`` *and* the model's mean loss is the lower one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from criptos.modeling.evaluation import baseline_column
from criptos.modeling.metrics import row_losses
from criptos.modeling.significance import diebold_mariano, holm_adjusted


def daily_losses(rows: pd.DataFrame, column: str, task: str, loss: str) -> pd.Series:
    """Mean loss of the forecasts in ``column`` per date (dates sorted)."""
    losses = row_losses(task, loss, rows["realized"], rows[column])
    return pd.Series(losses, index=rows["data"].to_numpy()).groupby(level=0).mean()


def verdict_against_baselines(
    rows: pd.DataFrame, task: str, loss: str, baselines: list[str], horizon: int
) -> dict[str, Any]:
    """The verdict of one model on ``rows`` before the adjustment across models."""
    model = daily_losses(rows, "predicted", task, loss)
    candidates = {
        name: daily_losses(rows, baseline_column(name), task, loss)
        for name in baselines
    }
    strongest = min(candidates, key=lambda name: (candidates[name].mean(), name))
    test = diebold_mariano(model.to_numpy(), candidates[strongest].to_numpy(), horizon)
    return {
        "metric": loss,
        "baseline": strongest,
        "model_loss": float(model.mean()),
        "baseline_loss": float(candidates[strongest].mean()),
        "difference": test.difference,
        "std_error": test.std_error,
        "ci_low": test.ci_low,
        "ci_high": test.ci_high,
        "statistic": test.statistic,
        "p_value": test.p_value,
        "days": test.days,
        "hac_lag": test.lag,
    }


def adjust_verdicts(
    verdicts: dict[str, dict[str, Any]], level: float
) -> dict[str, dict[str, Any]]:
    """Verdicts with ``p_value_adjusted`` (Holm across ``verdicts``) and ``beats_baseline``."""
    adjusted = holm_adjusted({name: v["p_value"] for name, v in verdicts.items()})
    return {
        name: {
            **verdict,
            "p_value_adjusted": adjusted[name],
            "significance_level": level,
            "beats_baseline": bool(
                adjusted[name] < level
                and np.isfinite(verdict["difference"])
                and verdict["model_loss"] < verdict["baseline_loss"]
            ),
        }
        for name, verdict in verdicts.items()
    }
