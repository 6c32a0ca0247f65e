"""Project pipelines, built on first access.

Each pipeline's module is imported only when that pipeline is looked up, so that
``kedro run --pipelines feature_engineering`` does not pay for importing training
and export (scikit-learn, SciPy, matplotlib): about 1.5 s of start-up. Whoever
reads every pipeline (``kedro registry list``, kedro-viz, ``__default__``) builds
each one once.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from kedro.pipeline import Pipeline

from criptos.config.models import configured_model_names

# Pipeline name -> the module whose ``create_pipeline`` builds it.
PIPELINE_MODULES: dict[str, str] = {
    "sample_data": "criptos.pipelines.sample_data.pipeline",
    "feature_engineering": "criptos.pipelines.feature_engineering.pipeline",
    "training": "criptos.pipelines.training.pipeline",
    "backtest": "criptos.pipelines.backtest.pipeline",
    "export": "criptos.pipelines.export.pipeline",
}
# ``sample_data`` stays out of ``__default__`` on purpose: it only seeds an empty
# project with synthetic candles and never touches an existing raw file.
DEFAULT_PIPELINES: tuple[str, ...] = (
    "feature_engineering",
    "training",
    "backtest",
    "export",
)
DEFAULT = "__default__"


def build_pipeline(name: str) -> Pipeline:
    """Import the module of pipeline ``name`` and create the pipeline."""
    return importlib.import_module(PIPELINE_MODULES[name]).create_pipeline()


class LazyPipelines(Mapping[str, Pipeline]):
    """A read-only mapping of the registered pipelines, each built when first read
    (and again when the models to train change: the training pipeline has one
    namespace per model)."""

    def __init__(self) -> None:
        self._built: dict[tuple[str, tuple[str, ...]], Pipeline] = {}

    def __getitem__(self, name: str) -> Pipeline:
        key = (name, configured_model_names())
        if key not in self._built:
            if name == DEFAULT:
                self._built[key] = sum(
                    (self[part] for part in DEFAULT_PIPELINES), Pipeline([])
                )
            else:
                self._built[key] = build_pipeline(name)  # KeyError if unknown
        return self._built[key]

    def __contains__(self, name: object) -> bool:
        return name in PIPELINE_MODULES or name == DEFAULT

    def __iter__(self) -> Iterator[str]:
        return iter([*PIPELINE_MODULES, DEFAULT])

    def __len__(self) -> int:
        return len(PIPELINE_MODULES) + 1

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)})"


def register_pipelines() -> Mapping[str, Pipeline]:
    """Register the project's pipelines (see the module docstring: built lazily)."""
    return LazyPipelines()
