"""The real candles shipped in the package, and the create-only file that seeds raw.csv."""

from __future__ import annotations

import gzip
import hashlib
import re
import tomllib
from pathlib import Path

import pytest
import yaml
from kedro.io import DataCatalog
from kedro.io.core import DatasetError

from criptos.contracts.raw_file import RAW_COLUMNS
from criptos.datasets import CreateOnlyFileDataset, PackagedFileDataset
from tests.kedro_project import EMBEDDED_RAW_CANDLES, PROJECT_ROOT, real_raw_bytes

DATA_DIR = PROJECT_ROOT / "src" / "criptos" / "data"
SHIPPED = DATA_DIR / "crypto_daily_7coins.csv.gz"


def _recorded_sha256(label: str) -> str:
    """The sha256 that src/criptos/data/README.md records for ``label``."""
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    match = re.search(
        rf"\| `{re.escape(label)}` [^|]*\| [\d,]+ \| `([0-9a-f]{{64}})` \|", readme
    )
    assert match, f"README.md records no sha256 for {label}"
    return match.group(1)


def test_shipped_file_decompresses_to_the_recorded_bytes():
    data = real_raw_bytes()
    assert hashlib.sha256(data).hexdigest() == _recorded_sha256(
        "crypto_daily_7coins.csv"
    )
    assert hashlib.sha256(SHIPPED.read_bytes()).hexdigest() == _recorded_sha256(
        "crypto_daily_7coins.csv.gz"
    )
    assert data == gzip.decompress(SHIPPED.read_bytes())


def test_shipped_file_is_a_raw_csv_of_seven_real_assets():
    lines = real_raw_bytes().decode("ascii").splitlines()
    assert lines[0].split("|") == list(RAW_COLUMNS)
    assert len(lines) - 1 == 17_061
    assert {line.split("|", 1)[0] for line in lines[1:]} == {
        "BNB", "BTC", "DOGE", "ETH", "XEM", "XLM", "XRP",
    }  # fmt: skip
    assert "BTC|2017-12-16|1513382400|" in "\n".join(lines)


def test_package_data_ships_the_file_and_its_readme():
    """pyproject's package-data covers the data files (wheel, sdist and editable)."""
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["criptos.data"]
    shipped = {path.name for pattern in patterns for path in DATA_DIR.glob(pattern)}
    assert {"crypto_daily_7coins.csv.gz", "README.md"} <= shipped
    # A regular package, so that setuptools' package discovery finds it.
    assert (DATA_DIR / "__init__.py").is_file()


def test_catalog_entry_loads_the_shipped_candles():
    catalog = yaml.safe_load(
        (PROJECT_ROOT / "conf" / "base" / "catalog.yml").read_text()
    )
    entry = catalog["embedded_raw_candles"]
    assert {key: entry[key] for key in ("package", "resource")} == EMBEDDED_RAW_CANDLES
    loaded = DataCatalog.from_config({"embedded_raw_candles": entry}).load(
        "embedded_raw_candles"
    )
    assert loaded == real_raw_bytes()


def test_packaged_file_without_decompression_is_the_stored_bytes():
    dataset = PackagedFileDataset(**EMBEDDED_RAW_CANDLES, decompress=False)
    assert dataset.load() == SHIPPED.read_bytes()
    assert dataset.exists()


def test_packaged_file_is_read_only_and_reports_missing_files():
    dataset = PackagedFileDataset(**EMBEDDED_RAW_CANDLES)
    with pytest.raises(DatasetError, match="cannot be saved"):
        dataset.save(b"x")
    missing = PackagedFileDataset(package="criptos.data", resource="nope.csv.gz")
    assert not missing.exists()
    with pytest.raises(DatasetError, match="missing from the installed package"):
        missing.load()
    assert not PackagedFileDataset(
        package="no_such_package_here", resource="a.csv"
    ).exists()


@pytest.mark.parametrize("resource", ["", "../pyproject.toml", "a/../../b", "./x.csv"])
def test_packaged_file_refuses_paths_leaving_the_package(resource: str):
    with pytest.raises(DatasetError, match="relative path inside the package"):
        PackagedFileDataset(resource=resource)


def test_create_only_file_writes_once_and_keeps_existing_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    target = tmp_path / "raw" / "raw.csv"
    dataset = CreateOnlyFileDataset(filepath=str(target))
    assert not dataset.exists()
    dataset.save(b"first\n")
    assert target.read_bytes() == b"first\n"
    assert dataset.load() == b"first\n"
    dataset.save(b"second\n")
    assert target.read_bytes() == b"first\n"
    assert "left untouched" in caplog.text
    assert sorted(path.name for path in target.parent.iterdir()) == ["raw.csv"]


def test_create_only_file_keeps_a_symlink_even_a_dangling_one(tmp_path: Path):
    target = tmp_path / "raw.csv"
    target.symlink_to(tmp_path / "elsewhere.csv")
    CreateOnlyFileDataset(filepath=str(target)).save(b"seed\n")
    assert target.is_symlink() and not (tmp_path / "elsewhere.csv").exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["raw.csv"]


def test_create_only_file_saves_bytes_only(tmp_path: Path):
    dataset = CreateOnlyFileDataset(filepath=str(tmp_path / "raw.csv"))
    with pytest.raises(DatasetError, match="saves bytes"):
        dataset.save("text")  # type: ignore[arg-type]
    assert not (tmp_path / "raw.csv").exists()
