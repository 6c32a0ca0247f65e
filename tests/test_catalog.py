"""Catalog hygiene: every dataset a pipeline touches is declared in every environment."""

from __future__ import annotations

import pytest
from kedro.config import OmegaConfigLoader
from kedro.framework.project import configure_project, pipelines
from kedro.io import DataCatalog

from criptos.config.models import configured_model_names
from criptos.settings import CONFIG_LOADER_ARGS
from tests.kedro_project import PROJECT_ROOT

configure_project("criptos")


def _environments() -> list[str]:
    conf = PROJECT_ROOT / "conf"
    return sorted(
        p.name for p in conf.iterdir() if p.is_dir() and p.name not in {"base", "local"}
    )


def _catalog_config(env: str | None, **runtime_params: str) -> dict:
    loader = OmegaConfigLoader(
        conf_source=str(PROJECT_ROOT / "conf"),
        base_env="base",
        default_run_env=env or "base",
        custom_resolvers=CONFIG_LOADER_ARGS["custom_resolvers"],
        runtime_params={"run_date": "20240101", **runtime_params},
    )
    return loader["catalog"]


@pytest.mark.parametrize("env", [None, *_environments()])
def test_no_dataset_silently_becomes_a_memory_dataset(env: str | None):
    catalog = DataCatalog.from_config(_catalog_config(env))
    for name, pipeline in pipelines.items():
        undeclared = {
            dataset
            for dataset in pipeline.datasets()
            if not dataset.startswith("params:")
            and dataset != "parameters"
            and dataset not in catalog  # a declared entry or a dataset factory
        }
        assert not undeclared, (
            f"pipeline {name!r} uses undeclared datasets {sorted(undeclared)}"
        )


@pytest.mark.parametrize("env", [None, *_environments()])
def test_catalog_builds_and_carries_viz_layers(env: str | None):
    config = _catalog_config(env)
    catalog = DataCatalog.from_config(config)
    for name, entry in config.items():
        assert entry.get("metadata", {}).get("kedro-viz", {}).get("layer"), name
        if "{" not in name:  # a dataset factory's pattern is not a dataset
            assert name in catalog


@pytest.mark.parametrize(
    ("runtime_params", "layout"),
    [({}, "file"), ({"features_layout": "parts"}, "parts")],
)
def test_feature_layout_comes_from_globals_or_the_run(runtime_params, layout: str):
    config = _catalog_config(None, **runtime_params)
    assert config["cripto_features_latest@spark"]["layout"] == layout
    assert config["cripto_features_latest@pandas"]["layout"] == layout
    assert config["cripto_features_dated"]["layout"] == layout


@pytest.mark.parametrize("env", [None, *_environments()])
def test_the_training_run_reads_exactly_the_versioned_training_artifacts(env):
    config = _catalog_config(env)
    catalog = DataCatalog.from_config(config)
    training = pipelines["training"].all_outputs()
    versioned = {
        name for name in training if catalog.get(name) and _is_versioned(catalog, name)
    }
    models = {f"{name}_model" for name in configured_model_names()}
    assert models <= versioned
    members = config["training_run"]["members"]
    assert set(members) == versioned - models
    for name in versioned - models:
        assert members[name] == config[name]["filepath"]
    pattern = config["{model}_model"]["filepath"]
    assert pattern == f"{config['training_run']['models']}/{{model}}.joblib"


def _is_versioned(catalog: DataCatalog, name: str) -> bool:
    return catalog.get(name)._describe().get("version") is not None
