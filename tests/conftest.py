"""Shared fixtures: real market data, isolated Kedro projects."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from criptos.raw_contract import read_raw_candles
from tests.kedro_project import REAL_RAW_CSV, KedroProject


@pytest.fixture(scope="session")
def real_raw_csv() -> Path:
    """The real 7-coin daily file shared with every developer and CI (never copied)."""
    if not REAL_RAW_CSV.is_file():
        pytest.fail(f"real data expected at {REAL_RAW_CSV} (see ../shared/data/README.md)")
    return REAL_RAW_CSV


@pytest.fixture(scope="session")
def real_raw_frame(real_raw_csv: Path) -> pd.DataFrame:
    """The real raw file as the raw dataset loads it (text columns)."""
    with real_raw_csv.open("rb") as stream:
        return read_raw_candles(stream, source=str(real_raw_csv))


@pytest.fixture
def kedro_project(tmp_path: Path) -> KedroProject:
    """A throwaway copy of the configuration with all data under ``tmp_path``."""
    return KedroProject.create(tmp_path / "project")
