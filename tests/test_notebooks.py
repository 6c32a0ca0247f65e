"""Notebooks: committed without outputs, and they run headless on a `make run`'s data."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.kedro_project import PROJECT_ROOT, KedroProject

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path: Path):
    notebook = nbformat.read(path, as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells[0].source.strip() == "%load_ext kedro.ipython"
    for cell in code_cells:
        assert cell.outputs == [], f"{path.name}: a cell keeps outputs (run nbstripout)"
        assert cell.execution_count is None, (
            f"{path.name}: a cell keeps its execution count"
        )


@pytest.fixture(scope="module")
def project_after_make_run(tmp_path_factory: pytest.TempPathFactory) -> KedroProject:
    """What `make run` leaves behind: the sample raw file and the default pipeline's outputs."""
    project = KedroProject.create(tmp_path_factory.mktemp("notebooks") / "project")
    for args in (("run", "--pipelines", "sample_data"), ("run",)):
        result = project.kedro(*args)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return project


@pytest.mark.e2e
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_headless(
    path: Path, project_after_make_run: KedroProject, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("CRIPTOS_CONF_SOURCE", str(project_after_make_run.conf))
    monkeypatch.setenv("KEDRO_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
