"""Permutation importance: an unused input scores zero, a used one does not; reproducible."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline

from criptos.modeling.importance import POOLED, permutation_importance


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    inputs = pd.DataFrame(
        {"used": rng.normal(size=600), "unused": rng.normal(size=600)}
    )
    target = 2.0 * inputs["used"].to_numpy()
    model = Pipeline([("estimator", LinearRegression())]).fit(inputs, target)
    model[-1].coef_ = np.array([2.0, 0.0])  # exactly blind to "unused"
    assets = np.repeat(["A", "B", "C"], 200)
    return model, inputs, target, assets


def _importance(fitted, n_jobs):
    model, inputs, target, assets = fitted
    return permutation_importance(
        model,
        "regression",
        "mse",
        inputs=inputs,
        realized=target,
        assets=assets,
        repeats=3,
        seed=7,
        n_jobs=n_jobs,
    )


def test_only_the_input_the_model_uses_matters_pooled_and_per_asset(fitted):
    importance = _importance(fitted, n_jobs=1)
    assert set(importance["scope"]) == {POOLED, "A", "B", "C"}
    by_feature = importance.set_index(["scope", "feature"])["mean"]
    for scope in (POOLED, "A", "B", "C"):
        # Shuffling x among rows of one asset: E[(2x - 2x')^2] = 8 var(x) = 8.
        assert by_feature[(scope, "used")] == pytest.approx(8.0, rel=0.25)
        assert by_feature[(scope, "unused")] == 0.0
    top = importance[importance["scope"] == POOLED]["feature"].iloc[0]
    assert top == "used"


def test_the_result_does_not_depend_on_parallelism(fitted):
    pd.testing.assert_frame_equal(_importance(fitted, 1), _importance(fitted, 2))
