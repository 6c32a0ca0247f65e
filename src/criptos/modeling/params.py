"""Checked training parameters (``conf/base/parameters_training.yml``).

Every problem names the parameter at fault (``training.<name>``) so that a bad
configuration fails the run before any model is fitted.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field
from typing import Any

from sklearn.base import BaseEstimator, is_classifier, is_regressor

from criptos.contracts.errors import InputError

REGRESSION = "regression"
CLASSIFICATION = "classification"
TASKS = (REGRESSION, CLASSIFICATION)
# The five models of the seed, in the order they are trained and reported.
MODEL_NAMES: tuple[str, ...] = (
    "regressor_lin",
    "regressor_gbr",
    "regressor_rf",
    "classifier_log",
    "classifier_rf",
)
_KNOWN_KEYS = frozenset(
    {
        "horizon",
        "n_splits",
        "gap",
        "random_seed",
        "excluded_columns",
        "models",
        "openmp_threads",
        "retrain_every_days",
        "max_train_days",
        "holdout_days",
        "significance_level",
        "verdict_loss",
        "scale_free_inputs",
        "importance_repeats",
        "n_jobs",
    }
)
_MODEL_KEYS = frozenset({"task", "estimator", "kwargs", "scaler"})
# The per-row losses a verdict may test, per task (see criptos.modeling.verdict).
VERDICT_LOSSES: dict[str, tuple[str, ...]] = {
    REGRESSION: ("mse", "mae"),
    CLASSIFICATION: ("log_loss", "brier"),
}
DEFAULT_VERDICT_LOSS = {REGRESSION: "mse", CLASSIFICATION: "log_loss"}
# How numeric inputs are rescaled before the estimator (see criptos.modeling.estimators).
SCALERS = ("standard", "quantile")


class TrainingParamsError(InputError):
    """A training parameter is missing or invalid, or does not fit the data; the
    message names it (and the sizes involved)."""


def _integer(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise TrainingParamsError(
            f"training.{name} must be an integer >= {minimum}, got {value!r}"
        )
    return value


def _verdict_loss(raw: Any) -> dict[str, str]:
    if raw is not None and not isinstance(raw, dict):
        raise TrainingParamsError(
            f"training.verdict_loss must be a mapping of task to loss, got {raw!r}"
        )
    unknown_tasks = sorted(set(raw or {}) - set(TASKS))
    if unknown_tasks:
        raise TrainingParamsError(
            f"training.verdict_loss has unknown task(s) {', '.join(unknown_tasks)}; "
            f"known: {', '.join(TASKS)}"
        )
    losses = {**DEFAULT_VERDICT_LOSS, **(raw or {})}
    for task in TASKS:
        if losses[task] not in VERDICT_LOSSES[task]:
            raise TrainingParamsError(
                f"training.verdict_loss.{task} must be one of "
                f"{', '.join(VERDICT_LOSSES[task])}, got {losses[task]!r}"
            )
    return {task: losses[task] for task in TASKS}


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
    if not (
        isinstance(estimator_class, type) and issubclass(estimator_class, BaseEstimator)
    ):
        raise TrainingParamsError(
            f"{parameter}: {class_path!r} is not a scikit-learn estimator class"
        )
    return estimator_class


@dataclass(frozen=True)
class ModelSpec:
    """One model: its task, estimator class path, constructor arguments and scaler."""

    name: str
    task: str
    estimator: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    scaler: str | None = None

    def make_estimator(self, random_seed: int) -> BaseEstimator:
        """A fresh, unfitted estimator; ``random_state`` comes from the seed unless set."""
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

    @classmethod
    def from_dict(cls, name: str, raw: Any) -> ModelSpec:
        parameter = f"training.models.{name}"
        if not isinstance(raw, dict):
            raise TrainingParamsError(f"{parameter} must be a mapping, got {raw!r}")
        unknown = sorted(set(raw) - _MODEL_KEYS)
        if unknown:
            raise TrainingParamsError(
                f"unknown key(s) in {parameter}: {', '.join(unknown)}; known: {', '.join(sorted(_MODEL_KEYS))}"
            )
        task = raw.get("task")
        if task not in TASKS:
            raise TrainingParamsError(
                f"{parameter}.task must be one of {', '.join(TASKS)}, got {task!r}"
            )
        if "estimator" not in raw:
            raise TrainingParamsError(
                f"{parameter}.estimator is missing (a class path)"
            )
        kwargs = raw.get("kwargs") or {}
        if not isinstance(kwargs, dict):
            raise TrainingParamsError(
                f"{parameter}.kwargs must be a mapping, got {kwargs!r}"
            )
        scaler = raw.get("scaler")
        if scaler is not None and scaler not in SCALERS:
            raise TrainingParamsError(
                f"{parameter}.scaler must be null or one of {', '.join(SCALERS)}, got {scaler!r}"
            )
        return cls(
            name=name,
            task=task,
            estimator=str(raw["estimator"]),
            kwargs=dict(kwargs),
            scaler=scaler,
        )


@dataclass(frozen=True)
class TrainingParams:
    """Label horizon, the walk-forward plan, the verdict's test, seeds, parallelism and
    the five model specifications (see ``conf/base/parameters_training.yml``)."""

    horizon: int
    n_splits: int
    gap: int
    random_seed: int
    excluded_columns: tuple[str, ...]
    models: dict[str, ModelSpec]
    verdict_loss: dict[str, str] = field(
        default_factory=lambda: dict(DEFAULT_VERDICT_LOSS)
    )
    significance_level: float = 0.05
    retrain_every_days: int = 30
    max_train_days: int | None = None
    holdout_days: int = 180
    scale_free_inputs: bool = True
    importance_repeats: int = 3
    openmp_threads: int | None = 1
    n_jobs: int | None = None

    def model(self, name: str) -> ModelSpec:
        return self.models[name]

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> TrainingParams:
        """Parse and check the ``training`` parameters, instantiating every estimator once."""
        raw = dict(raw or {})
        unknown = sorted(set(raw) - _KNOWN_KEYS)
        if unknown:
            raise TrainingParamsError(
                f"unknown training parameter(s): {', '.join(unknown)}; known: {', '.join(sorted(_KNOWN_KEYS))}"
            )
        horizon = _integer("horizon", raw.get("horizon", 1), 1)
        n_splits = _integer("n_splits", raw.get("n_splits", 5), 2)
        gap = raw.get("gap")
        gap = horizon if gap is None else _integer("gap", gap, 0)
        if gap < horizon:
            raise TrainingParamsError(
                f"training.gap must be at least training.horizon ({horizon}) so that no training "
                f"label reaches into the test dates, got {gap}"
            )
        random_seed = _integer("random_seed", raw.get("random_seed", 0), 0)
        openmp_threads = raw.get("openmp_threads", 1)
        if openmp_threads is not None:
            openmp_threads = _integer("openmp_threads", openmp_threads, 1)
        excluded = raw.get("excluded_columns", ["data"])
        if not isinstance(excluded, list | tuple) or not all(
            isinstance(c, str) for c in excluded
        ):
            raise TrainingParamsError(
                f"training.excluded_columns must be a list of column names, got {excluded!r}"
            )
        verdict_loss = _verdict_loss(raw.get("verdict_loss"))
        level = raw.get("significance_level", 0.05)
        if (
            isinstance(level, bool)
            or not isinstance(level, int | float)
            or not (0.0 < level < 1.0)
        ):
            raise TrainingParamsError(
                f"training.significance_level must be a number in (0, 1), got {level!r}"
            )
        max_train_days = raw.get("max_train_days")
        if max_train_days is not None:
            max_train_days = _integer("max_train_days", max_train_days, 1)
        scale_free = raw.get("scale_free_inputs", True)
        if not isinstance(scale_free, bool):
            raise TrainingParamsError(
                f"training.scale_free_inputs must be true or false, got {scale_free!r}"
            )
        n_jobs = raw.get("n_jobs")
        if n_jobs is not None and n_jobs != -1:
            n_jobs = _integer("n_jobs", n_jobs, 1)
        models_raw = raw.get("models")
        if not isinstance(models_raw, dict) or sorted(models_raw) != sorted(
            MODEL_NAMES
        ):
            found = sorted(models_raw) if isinstance(models_raw, dict) else models_raw
            raise TrainingParamsError(
                f"training.models must define exactly {', '.join(MODEL_NAMES)}; got {found!r}"
            )
        models = {
            name: ModelSpec.from_dict(name, models_raw[name]) for name in MODEL_NAMES
        }
        params = cls(
            horizon=horizon,
            n_splits=n_splits,
            gap=gap,
            random_seed=random_seed,
            excluded_columns=tuple(excluded),
            models=models,
            verdict_loss=verdict_loss,
            significance_level=float(level),
            retrain_every_days=_integer(
                "retrain_every_days", raw.get("retrain_every_days", 30), 1
            ),
            max_train_days=max_train_days,
            holdout_days=_integer("holdout_days", raw.get("holdout_days", 180), 0),
            scale_free_inputs=scale_free,
            importance_repeats=_integer(
                "importance_repeats", raw.get("importance_repeats", 3), 1
            ),
            openmp_threads=openmp_threads,
            n_jobs=n_jobs,
        )
        for spec in models.values():
            spec.make_estimator(random_seed)
        return params
