"""Fixtures of the export tests: small fitted models and a local registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.pipeline import Pipeline

from criptos.datasets import ModelRegistryDataset
from tests.pipelines.export.small_models import fit_small_models


@pytest.fixture(scope="session")
def small_models() -> dict[str, Pipeline]:
    """The five small fitted models (shared: tests must not refit or mutate them)."""
    return fit_small_models()


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistryDataset:
    """An empty registry on the local disk."""
    return ModelRegistryDataset(path=str(tmp_path / "models"))
