"""Permutation importance: how much worse a fitted model gets without one input.

For each model input (after the scale-free step, so the names are what the model
sees) the values are shuffled among the rows of the same asset, which keeps each
asset's distribution but breaks the link with the target; the importance is the
rise of the mean verdict loss, over ``repeats`` shuffles, pooled and per asset.
Shuffles come from a generator seeded by (seed, input, repeat), so the result does
not depend on the order or the parallelism of the work.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.pipeline import Pipeline

from criptos.modeling.estimators import split_scale_free
from criptos.modeling.forecast import forecast
from criptos.modeling.metrics import row_losses

POOLED = "pooled"


def _loss_by_scope(losses: np.ndarray, assets: np.ndarray) -> pd.Series:
    by_asset = pd.Series(losses).groupby(assets, sort=True).mean()
    return pd.concat([pd.Series({POOLED: float(np.mean(losses))}), by_asset])


def _shuffled_within(groups: list[np.ndarray], size: int, rng) -> np.ndarray:
    order = np.arange(size)
    for positions in groups:
        order[positions] = positions[rng.permutation(len(positions))]
    return order


def permutation_importance(
    model: Pipeline,
    task: str,
    loss: str,
    *,
    inputs: pd.DataFrame,
    realized: np.ndarray,
    assets: np.ndarray,
    repeats: int,
    seed: int,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """``scope`` (``pooled`` or an asset), ``feature``, ``mean``, ``std`` of the loss rise."""
    scale_free, predictor = split_scale_free(model)
    seen = inputs if scale_free is None else scale_free.transform(inputs)
    reference = _loss_by_scope(
        row_losses(task, loss, realized, forecast(predictor, task, seen)), assets
    )
    groups = [np.flatnonzero(assets == asset) for asset in np.unique(assets)]

    def rises(position: int, feature: str) -> pd.DataFrame:
        samples = []
        for repeat in range(repeats):
            rng = np.random.default_rng([seed, position, repeat])
            shuffled = seen.copy()
            order = _shuffled_within(groups, len(seen), rng)
            shuffled[feature] = seen[feature].to_numpy()[order]
            losses = row_losses(
                task, loss, realized, forecast(predictor, task, shuffled)
            )
            samples.append(_loss_by_scope(losses, assets) - reference)
        table = pd.concat(samples, axis=1)
        return pd.DataFrame(
            {
                "scope": table.index.astype(str),
                "feature": feature,
                "mean": table.mean(axis=1).to_numpy(),
                "std": table.std(axis=1, ddof=0).to_numpy(),
            }
        )

    frames = Parallel(n_jobs=n_jobs or -1, backend="loky")(
        delayed(rises)(position, str(feature))
        for position, feature in enumerate(seen.columns)
    )
    result = pd.concat(frames, ignore_index=True)
    return result.sort_values(
        ["scope", "mean", "feature"], ascending=[True, False, True], kind="stable"
    ).reset_index(drop=True)
