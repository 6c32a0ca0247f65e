"""Each model is one scikit-learn Pipeline that owns its preprocessing.

Numeric columns are imputed with the median and, for the linear models, rescaled:
``standard`` (z-scores) or ``quantile`` (each column mapped through its training
quantiles onto a normal distribution, so values outside the training range, such as
a price at a new high, are clipped instead of extrapolated); categorical columns get a constant for missing values and a one-hot
encoding that ignores unseen categories. Everything is fitted inside ``fit`` only,
so within a fold nothing is learned from the test rows, and the fitted model
predicts from the raw feature columns: ``model.predict(features_frame)``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, QuantileTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from criptos.modeling.columns import FeatureColumns
from criptos.modeling.params import REGRESSION, ModelSpec

MISSING_CATEGORY = "ausente"
QUANTILES = 500


def _scaler(kind: str, random_seed: int) -> BaseEstimator:
    if kind == "standard":
        return StandardScaler()
    return QuantileTransformer(
        n_quantiles=QUANTILES,
        output_distribution="normal",
        subsample=None,
        random_state=random_seed,
    )


def _preprocessor(
    columns: FeatureColumns, scaler: str | None, random_seed: int
) -> ColumnTransformer:
    numeric_steps: list[tuple[str, BaseEstimator]] = [
        ("impute", SimpleImputer(strategy="median"))
    ]
    if scaler is not None:
        numeric_steps.append(("scale", _scaler(scaler, random_seed)))
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY)),
            ("one_hot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    return ColumnTransformer(
        [
            ("numeric", Pipeline(numeric_steps), list(columns.numeric)),
            ("categorical", categorical, list(columns.categorical)),
        ],
        remainder="drop",
        verbose_feature_names_out=False,
    )


def build_model(spec: ModelSpec, columns: FeatureColumns, random_seed: int) -> Pipeline:
    """An unfitted ``preprocess -> estimator`` pipeline for ``spec``."""
    return Pipeline(
        [
            ("preprocess", _preprocessor(columns, spec.scaler, random_seed)),
            ("estimator", spec.make_estimator(random_seed)),
        ]
    )


def build_baseline(task: str) -> BaseEstimator:
    """The naive forecast a model must beat: zero return, or the training majority class.

    The classification baseline predicts the majority class and, as its probability
    of "up", the share of "up" in the training fold.
    """
    if task == REGRESSION:
        return DummyRegressor(strategy="constant", constant=0.0)
    return DummyClassifier(strategy="prior")


def limited_openmp_threads(threads: int | None) -> AbstractContextManager:
    """Cap the OpenMP threads of estimators that use them (HistGradientBoosting*).

    On a small machine shared with other jobs, OpenMP threads that wait for each
    other at every step stall whenever another process holds a core: one thread
    per fit was 7-10x faster than two on the project's 2-core machine under load.
    ``None`` leaves the library default (all cores).
    """
    return threadpool_limits(limits=threads, user_api="openmp")
