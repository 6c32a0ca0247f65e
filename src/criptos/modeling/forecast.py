"""The one number a fitted model forecasts per row: a log return, or P(up)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from criptos.modeling.params import REGRESSION


def forecast(model: BaseEstimator, task: str, inputs: pd.DataFrame) -> np.ndarray:
    """``predict`` for regressors; the probability of the class True for classifiers."""
    if task == REGRESSION:
        return np.asarray(model.predict(inputs), dtype=np.float64)
    classes = list(model.classes_)
    if True not in classes:
        return np.zeros(len(inputs))
    probabilities = model.predict_proba(inputs)
    return np.asarray(probabilities[:, classes.index(True)], dtype=np.float64)
