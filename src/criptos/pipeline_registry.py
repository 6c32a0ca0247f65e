"""Project pipelines."""

from __future__ import annotations

from kedro.pipeline import Pipeline

from criptos.pipelines import export, feature_engineering, sample_data, training


def register_pipelines() -> dict[str, Pipeline]:
    """Register the project's pipelines.

    ``sample_data`` stays out of ``__default__`` on purpose: it only seeds an empty
    project with synthetic candles and never touches an existing raw file.
    """
    pipelines = {
        "sample_data": sample_data.create_pipeline(),
        "feature_engineering": feature_engineering.create_pipeline(),
        "training": training.create_pipeline(),
        "export": export.create_pipeline(),
    }
    pipelines["__default__"] = (
        pipelines["feature_engineering"] + pipelines["training"] + pipelines["export"]
    )
    return pipelines
