"""Shared fixtures: real market data, isolated Kedro projects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from criptos.contracts.raw_file import read_raw_candles
from tests.kedro_project import KedroProject, write_real_raw_csv
from tests.s3_server import SeaweedS3


@pytest.fixture(scope="session")
def real_raw_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real 7-coin daily file shipped with the package, decompressed once (read-only)."""
    return write_real_raw_csv(tmp_path_factory.mktemp("real_data"))


@pytest.fixture(scope="session")
def real_raw_frame(real_raw_csv: Path) -> pd.DataFrame:
    """The real raw file as the raw dataset loads it (text columns)."""
    with real_raw_csv.open("rb") as stream:
        return read_raw_candles(stream, source=str(real_raw_csv))


@pytest.fixture
def kedro_project(tmp_path: Path) -> KedroProject:
    """A throwaway copy of the configuration with all data under ``tmp_path``."""
    return KedroProject.create(tmp_path / "project")


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    """A real S3 server (SeaweedFS, authentication on) on free localhost ports."""
    server = SeaweedS3.start(tmp_path_factory.mktemp("seaweedfs"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _no_signing_key_unless_a_test_sets_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """A signing key in the developer's shell must not change what other tests see."""
    monkeypatch.delenv("CRIPTOS_REGISTRY_SIGNING_KEY", raising=False)


@pytest.fixture(scope="session")
def small_models() -> dict:
    """Five small fitted models, one per shipped model name (shared: tests must not
    refit or mutate them)."""
    from tests.pipelines.export.small_models import fit_small_models  # noqa: PLC0415

    return fit_small_models()


@pytest.fixture
def registry(tmp_path: Path):
    """An empty model registry on the local disk, through its Kedro dataset."""
    from criptos.datasets import ModelRegistryDataset  # noqa: PLC0415

    return ModelRegistryDataset(path=str(tmp_path / "models"))
