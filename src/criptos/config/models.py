"""The models of the project: the keys of ``training.models``, the one list of them.

The training pipeline has one namespace per model, so its shape comes from the
parameters. In a Kedro session ``ParametersHook`` records the run's models (its
environment, ``--conf-source`` and ``--params`` included) before any pipeline is
built; outside one (tests, ``kedro registry``) they are read from ``conf/base`` plus
the default run environment (``local``, or ``KEDRO_ENV``). A pipeline built for other
models than the run's is refused before any node (``check_trained_models``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from kedro.utils import find_kedro_project

from criptos.config.schema import ParameterError
from criptos.contracts.errors import InputError

TRAINING_PARAMETERS = "conf/base/parameters_training.yml"


_run_models: tuple[str, ...] | None = None


def use_run_models(names: tuple[str, ...] | None) -> None:
    """Build the training pipeline for these models (the running session's)."""
    global _run_models  # noqa: PLW0603 (one session per process, like Kedro's settings)
    _run_models = tuple(names) if names else None


def configured_model_names() -> tuple[str, ...]:
    """The keys of ``training.models``: the running session's, else the configuration's.

    Read from the YAML files themselves, not through a config loader: Kedro's loader
    registers process-wide resolvers (``${globals:...}``), so a second loader built
    here would re-point the running session's paths.
    """
    if _run_models is not None:
        return _run_models
    from criptos import settings  # noqa: PLC0415 (settings imports the hooks)

    conf_source = Path(settings.CONF_SOURCE)
    if not conf_source.is_absolute():
        conf_source = _project_root() / conf_source
    models: dict[str, Any] = {}
    for env in ("base", os.environ.get("KEDRO_ENV") or "local"):
        for path in sorted((conf_source / env).glob("**/parameters*.y*ml")):
            training = (yaml.safe_load(path.read_text()) or {}).get("training") or {}
            if isinstance(training.get("models"), dict):
                models.update(training["models"])
    if not models:
        raise InputError(
            f"no models to train: training.models in {conf_source} (see "
            f"{TRAINING_PARAMETERS}) must map each model name to its block"
        )
    return tuple(str(name) for name in models)


def _project_root() -> Path:
    """The Kedro project around the working directory, else this source tree's."""
    found = find_kedro_project(Path.cwd())
    if found is not None:
        return Path(found)
    return Path(__file__).resolve().parents[3]


def check_trained_models(training: Any, pipeline: Any) -> None:
    """The run's ``training.models`` are the pipeline's model namespaces, and every
    estimator can be built (``ParameterError`` / ``TrainingParamsError`` otherwise)."""
    if training is None:
        raise ParameterError(
            f"training: required by this run, not given (see {TRAINING_PARAMETERS})"
        )
    built = {node.namespace.split(".")[0] for node in pipeline.nodes if node.namespace}
    configured = set(training.model_names)
    if built and configured != built:
        raise ParameterError(
            f"training.models defines {', '.join(sorted(configured))} but the training "
            f"pipeline was built for {', '.join(sorted(built))}: declare or remove a model "
            f"in {TRAINING_PARAMETERS} (or conf/local), not through --params or another "
            "environment, which cannot reshape the pipeline"
        )
    training.check_estimators()
