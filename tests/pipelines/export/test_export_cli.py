"""`kedro run --pipelines export` in the base layout, on stand-ins for the training outputs."""

from __future__ import annotations

import json

import pytest
from kedro.io import DataCatalog

from criptos.config.loader import ProjectConfigLoader
from criptos.settings import CONFIG_LOADER_ARGS
from tests.kedro_project import KedroProject
from tests.pipelines.export.small_models import (
    training_metrics,
    training_seal,
    training_summary,
)

pytestmark = pytest.mark.e2e


def save_training_outputs(project: KedroProject, models: dict, beats: bool) -> None:
    """Write one training run's artifacts where the training pipeline would."""
    loader = ProjectConfigLoader(
        str(project.conf),
        env="local",
        runtime_params={"run_date": "20261127"},
        **CONFIG_LOADER_ARGS,
    )
    catalog = DataCatalog.from_config(loader["catalog"])
    for name, model in models.items():
        catalog.save(f"{name}_model", model)
    catalog.save("training_summary", training_summary(models))
    catalog.save("training_metrics", training_metrics(beats=beats))
    catalog.save("training_run_seal", training_seal(models))


def registry_state(project: KedroProject) -> tuple[list[str], str | None]:
    """Complete versions and the version latest points to."""
    root = project.path("model_registry")
    versions = sorted(p.parent.name for p in root.glob("2*/manifest.json"))
    latest = root / "latest" / "manifest.json"
    return versions, json.loads(latest.read_text())[
        "version"
    ] if latest.exists() else None


def test_export_parameters_from_the_command_line(
    kedro_project: KedroProject, small_models
) -> None:
    save_training_outputs(kedro_project, small_models, beats=False)

    held = kedro_project.kedro(
        "run", "--pipelines", "export", "--params", "export.require_beats_baseline=true"
    )
    assert held.returncode == 0, held.stderr[-3000:]
    assert "latest NOT moved" in " ".join((held.stdout + held.stderr).split())
    versions, latest = registry_state(kedro_project)
    assert len(versions) == 1 and latest is None

    published = kedro_project.kedro("run", "--pipelines", "export")
    assert published.returncode == 0, published.stderr[-3000:]
    versions, latest = registry_state(kedro_project)
    assert len(versions) == 2 and latest == versions[-1]

    pruned = kedro_project.kedro(
        "run", "--pipelines", "export", "--params", "export.keep_last=1"
    )
    assert pruned.returncode == 0, pruned.stderr[-3000:]
    versions, latest = registry_state(kedro_project)
    assert versions == [latest]
    manifest = json.loads(
        (kedro_project.path("model_registry") / "latest" / "manifest.json").read_text()
    )
    assert manifest["features_file"].startswith(str(kedro_project.path("features")))
