"""Each model is one scikit-learn Pipeline that owns its preprocessing.

The first step makes price and volume levels scale-free
(``criptos.modeling.scale_free``; ``training.scale_free_inputs``). Numeric columns
are then imputed with the median and, for the linear models, rescaled: ``standard``
(z-scores) or ``quantile`` (each column mapped through its training quantiles onto a
normal distribution, so values outside the training range are clipped instead of
extrapolated); categorical columns get a constant for missing values and a one-hot
encoding that ignores unseen categories. Everything is fitted inside ``fit`` only,
so within a window nothing is learned from the test rows, and the fitted model
predicts from the raw feature columns: ``model.predict(features_frame)``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from sklearn.base import BaseEstimator, clone
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, QuantileTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from criptos.modeling.columns import FeatureColumns
from criptos.modeling.params import CLASSIFICATION, REGRESSION, ModelSpec
from criptos.modeling.scale_free import ScaleFreeInputs, scale_free_names

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


def build_model(
    spec: ModelSpec,
    columns: FeatureColumns,
    random_seed: int,
    scale_free_inputs: bool = True,
) -> Pipeline:
    """An unfitted ``[scale_free ->] preprocess -> estimator`` pipeline for ``spec``."""
    steps: list[tuple[str, BaseEstimator]] = []
    if scale_free_inputs:
        steps.append(("scale_free", ScaleFreeInputs()))
        columns = columns.renamed(scale_free_names(columns.names))
    steps += [
        ("preprocess", _preprocessor(columns, spec.scaler, random_seed)),
        ("estimator", spec.make_estimator(random_seed)),
    ]
    return Pipeline(steps)


def split_scale_free(model: Pipeline) -> tuple[BaseEstimator | None, Pipeline]:
    """The scale-free step (or None) and the rest of a model built by ``build_model``."""
    if model.steps[0][0] == "scale_free":
        return model[0], model[1:]
    return None, model


# The naive forecasts a model must beat, per task. ``zero``: no change; ``train_mean``:
# the mean return of the training window; ``prior``: the training window's share of
# "up" as a constant probability (and its majority class as the class).
BASELINES: dict[str, dict[str, BaseEstimator]] = {
    REGRESSION: {
        "zero": DummyRegressor(strategy="constant", constant=0.0),
        "train_mean": DummyRegressor(strategy="mean"),
    },
    CLASSIFICATION: {"prior": DummyClassifier(strategy="prior")},
}


def build_baselines(task: str) -> dict[str, BaseEstimator]:
    """Unfitted copies of the baselines of ``task``."""
    return {name: clone(baseline) for name, baseline in BASELINES[task].items()}


def limited_openmp_threads(threads: int | None) -> AbstractContextManager:
    """Cap the OpenMP threads of estimators that use them (HistGradientBoosting*).

    On a small machine shared with other jobs, OpenMP threads that wait for each
    other at every step stall whenever another process holds a core: one thread
    per fit was 7-10x faster than two on the project's 2-core machine under load.
    ``None`` leaves the library default (all cores).
    """
    return threadpool_limits(limits=threads, user_api="openmp")
