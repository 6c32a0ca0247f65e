"""kedro-viz: the static build holds the project's pipelines, offline."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kedro_project import PROJECT_ROOT, cli_environment

REQUIRED_PIPELINES = {"feature_engineering", "training", "backtest", "export"}


@pytest.fixture(scope="module")
def viz_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run `kedro viz build` in a throwaway copy of the project (it writes ./build)."""
    root = tmp_path_factory.mktemp("viz")
    for name in ("pyproject.toml", ".telemetry"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    shutil.copytree(
        PROJECT_ROOT / "conf", root / "conf", ignore=shutil.ignore_patterns("local")
    )
    (root / "conf" / "local").mkdir()
    shutil.copytree(
        PROJECT_ROOT / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__")
    )
    result = subprocess.run(
        [sys.executable, "-m", "kedro", "viz", "build"],
        cwd=root,
        env=cli_environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root / "build"


@pytest.mark.e2e
def test_viz_build_holds_every_pipeline(viz_build: Path):
    main = json.loads((viz_build / "api" / "main").read_text())
    built = {pipeline["id"] for pipeline in main["pipelines"]}
    assert REQUIRED_PIPELINES <= built
    for name in REQUIRED_PIPELINES:
        graph = json.loads((viz_build / "api" / "pipelines" / name).read_text())
        task_names = [node["name"] for node in graph["nodes"] if node["type"] == "task"]
        assert task_names, f"pipeline {name} has no nodes in the build"
        assert all(not name.startswith("<lambda>") for name in task_names)


@pytest.mark.e2e
def test_viz_datasets_carry_layers(viz_build: Path):
    main = json.loads((viz_build / "api" / "main").read_text())
    datasets = [node for node in main["nodes"] if node["type"] == "data"]
    assert datasets
    unlayered = [node["name"] for node in datasets if not node.get("layer")]
    assert not unlayered, f"datasets without a kedro-viz layer: {unlayered}"
    assert {"raw", "feature", "backtest"} <= set(main["layers"])
