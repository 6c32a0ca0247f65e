"""Typed training parameters (``conf/base/parameters_training.yml``).

``TrainingParams`` is the pydantic model of the ``training`` section; every problem
names the parameter at fault (``training.<path>``, see ``criptos.config.schema``) so
that a bad configuration fails the run before any model is fitted. The models are
the keys of ``training.models``: the one list of them (the training pipeline gets a
namespace per key, see ``criptos.config.models``).
"""

from __future__ import annotations

import importlib
import inspect
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, Strict, model_validator

from criptos.config.schema import ParamsModel, parse_params
from criptos.contracts.errors import InputError

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator

REGRESSION = "regression"
CLASSIFICATION = "classification"
# The per-row loss each task's verdict tests unless training.verdict_loss says otherwise.
DEFAULT_VERDICT_LOSS = {REGRESSION: "mse", CLASSIFICATION: "log_loss"}


class TrainingParamsError(InputError):
    """A training parameter is missing or invalid, or does not fit the data; the
    message names it (and the sizes involved)."""


class VerdictLoss(ParamsModel):
    """The per-row loss each task's verdict tests (see ``criptos.modeling.verdict``)."""

    regression: Literal["mse", "mae"] = DEFAULT_VERDICT_LOSS[REGRESSION]
    classification: Literal["log_loss", "brier"] = DEFAULT_VERDICT_LOSS[CLASSIFICATION]

    def __getitem__(self, task: str) -> str:
        return getattr(self, task)


def import_estimator_class(class_path: str, parameter: str) -> type[BaseEstimator]:
    """The class at ``package.module.ClassName``; errors name ``parameter``."""
    module_name, _, class_name = str(class_path).rpartition(".")
    if not module_name:
        raise TrainingParamsError(
            f"{parameter} must be a class path such as sklearn.linear_model.Ridge, got {class_path!r}"
        )
    try:
        estimator_class = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as error:
        raise TrainingParamsError(
            f"{parameter}: cannot import {class_path!r} ({error})"
        ) from None
    from sklearn.base import BaseEstimator  # noqa: PLC0415 (only when checking)

    if not (
        isinstance(estimator_class, type) and issubclass(estimator_class, BaseEstimator)
    ):
        raise TrainingParamsError(
            f"{parameter}: {class_path!r} is not a scikit-learn estimator class"
        )
    return estimator_class


def _integer(minimum: int) -> Any:
    return Annotated[int, Strict(), Field(ge=minimum)]


class ModelSpec(ParamsModel):
    """One model (``training.models.<name>``): its task, estimator class path,
    constructor arguments and the scaler of its numeric inputs."""

    # The key in training.models (filled in by TrainingParams).
    name: str = ""
    task: Literal["regression", "classification"]
    estimator: Annotated[str, Strict(), Field(min_length=1)]
    kwargs: Annotated[
        dict[str, Any], BeforeValidator(lambda v: {} if v is None else v)
    ] = {}
    scaler: Literal["standard", "quantile"] | None = None

    def make_estimator(self, random_seed: int) -> BaseEstimator:
        """A fresh, unfitted estimator; ``random_state`` comes from the seed unless set."""
        from sklearn.base import is_classifier, is_regressor  # noqa: PLC0415

        parameter = f"training.models.{self.name}"
        estimator_class = import_estimator_class(
            self.estimator, f"{parameter}.estimator"
        )
        kwargs = dict(self.kwargs)
        accepted = inspect.signature(estimator_class.__init__).parameters
        if "random_state" in accepted and "random_state" not in kwargs:
            kwargs["random_state"] = random_seed
        try:
            estimator = estimator_class(**kwargs)
            # scikit-learn checks argument values only in fit; check them now when it can.
            validate = getattr(estimator, "_validate_params", None)
            if validate is not None:
                validate()
        except (TypeError, ValueError) as error:
            raise TrainingParamsError(f"{parameter}.kwargs: {error}") from None
        fits_task = (
            is_regressor(estimator)
            if self.task == REGRESSION
            else is_classifier(estimator)
        )
        if not fits_task:
            raise TrainingParamsError(
                f"{parameter}.estimator {self.estimator!r} is not a {self.task} estimator"
            )
        return estimator


def _workers(value: Any) -> Any:
    if value is None or value == -1 or (type(value) is int and value >= 1):
        return value
    raise ValueError("must be null (all cores), -1 (all cores) or an integer >= 1")


def _named_models(models: Any) -> Any:
    """Each model block learns its name from its key (``training.models.<name>``)."""
    if not isinstance(models, dict):
        return models
    for name, spec in models.items():
        if isinstance(spec, dict) and "name" in spec:
            raise ValueError(f"{name}: the name is the key, not a parameter")
    return {
        name: {"name": name, **spec} if isinstance(spec, dict) else spec
        for name, spec in models.items()
    }


def _at_least_one(models: dict[str, ModelSpec]) -> dict[str, ModelSpec]:
    if not models:
        raise ValueError("must define at least one model")
    return models


class TrainingParams(ParamsModel):
    """Label horizon, the walk-forward plan, the verdict's test, seeds, parallelism and
    the model specifications (see ``conf/base/parameters_training.yml``)."""

    horizon: _integer(1) = 1
    n_splits: _integer(2) = 5
    # None means the horizon, the minimum (filled in before validation).
    gap: _integer(0) = 1
    random_seed: _integer(0) = 0
    excluded_columns: tuple[Annotated[str, Strict()], ...] = ("data",)
    models: Annotated[
        dict[str, ModelSpec],
        BeforeValidator(_named_models),
        AfterValidator(_at_least_one),
    ]
    verdict_loss: Annotated[
        VerdictLoss, BeforeValidator(lambda v: {} if v is None else v)
    ] = VerdictLoss()
    significance_level: Annotated[float, Strict(), Field(gt=0, lt=1)] = 0.05
    retrain_every_days: _integer(1) = 30
    max_train_days: _integer(1) | None = None
    holdout_days: _integer(0) = 180
    scale_free_inputs: Annotated[bool, Strict()] = True
    importance_repeats: _integer(1) = 3
    openmp_threads: _integer(1) | None = 1
    n_jobs: Annotated[int | None, BeforeValidator(_workers)] = None

    @model_validator(mode="before")
    @classmethod
    def _gap_defaults_to_horizon(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and raw.get("gap") is None:
            raw = {key: value for key, value in raw.items() if key != "gap"}
            horizon = raw.get("horizon", 1)
            if isinstance(horizon, int):
                raw["gap"] = horizon
        return raw

    @model_validator(mode="after")
    def _gap_covers_horizon(self) -> TrainingParams:
        if self.gap < self.horizon:
            raise ValueError(
                f"training.gap must be at least training.horizon ({self.horizon}) so "
                f"that no training label reaches into the test dates, got {self.gap}"
            )
        return self

    @property
    def model_names(self) -> tuple[str, ...]:
        """The models, in the order they are trained and reported."""
        return tuple(self.models)

    def model(self, name: str) -> ModelSpec:
        return self.models[name]

    def check_estimators(self) -> TrainingParams:
        """Instantiate every estimator once (imports scikit-learn): a bad class path
        or argument fails here, before any fit."""
        for spec in self.models.values():
            spec.make_estimator(self.random_seed)
        return self

    @classmethod
    def of(cls, raw: Any) -> TrainingParams:
        """``raw`` as parsed by the run's start (returned as is) or a mapping to parse."""
        return parse_params(cls, raw, "training", TrainingParamsError)

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> TrainingParams:
        """Parse and check the ``training`` parameters, instantiating every estimator."""
        return cls.of(raw).check_estimators()
