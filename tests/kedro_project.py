"""Run the project's Kedro CLI in a subprocess against throwaway data folders.

A ``KedroProject`` copies ``conf/`` into a temporary folder and points every path of
``globals.yml`` at temporary folders (through ``conf/local/globals.yml``), then runs
``kedro`` from the project root with ``--conf-source``: the exact CLI a user runs,
without touching the project's own ``data/``.

The real market data of the tests and benchmarks is the copy shipped inside the
package (``src/criptos/data/``, read through the catalog's ``PackagedFileDataset``):
``write_real_raw_csv`` decompresses it into a folder, so nothing outside the clone
is needed.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from criptos.datasets import PackagedFileDataset

PROJECT_ROOT = Path(__file__).resolve().parents[1]
KEDRO = [sys.executable, "-m", "kedro"]
CRIPTOS = [sys.executable, "-m", "criptos"]

# The real 7-coin daily candles shipped with the package (catalog: embedded_raw_candles).
EMBEDDED_RAW_CANDLES = {
    "package": "criptos.data",
    "resource": "crypto_daily_7coins.csv.gz",
}
REAL_RAW_NAME = "crypto_daily_7coins.csv"


@functools.cache
def real_raw_bytes() -> bytes:
    """The real 7-coin daily file, decompressed from the package (read once per process)."""
    return PackagedFileDataset(**EMBEDDED_RAW_CANDLES).load()


def write_real_raw_csv(folder: Path) -> Path:
    """The real 7-coin daily file as ``folder/crypto_daily_7coins.csv``, read-only.

    Written once (atomically) and reused while its size matches; read-only so that a
    test writing through a ``use_raw_file`` symlink fails instead of corrupting it.
    """
    data = real_raw_bytes()
    target = folder / REAL_RAW_NAME
    if target.is_file() and target.stat().st_size == len(data):
        return target
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{REAL_RAW_NAME}.", dir=folder)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(data)
    Path(temporary).chmod(0o444)
    Path(temporary).replace(target)
    return target


def cli_environment(**extra: str) -> dict[str, str]:
    """The environment of a CLI subprocess: telemetry off, no network needed."""
    env = {
        **os.environ,
        "KEDRO_DISABLE_TELEMETRY": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "COLUMNS": "400",  # rich logs: one line per message, so tests can grep them
    }
    env.update(extra)
    return env


def _run_from_root(
    command: list[str], env: dict[str, str] | None, timeout: int
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=PROJECT_ROOT,
        env=cli_environment(**(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_criptos(
    *args: str, env: dict[str, str] | None = None, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    """``criptos <args>`` (``python -m criptos``) from the project root, as a user runs it."""
    return _run_from_root([*CRIPTOS, *args], env, timeout)


@dataclass
class KedroProject:
    """A copy of the configuration whose data paths all live under ``root``."""

    root: Path

    @property
    def conf(self) -> Path:
        return self.root / "conf"

    def path(self, key: str) -> Path:
        """Folder of ``paths.<key>`` in this project's globals."""
        return self.root / "data" / key

    @classmethod
    def create(cls, root: Path) -> KedroProject:
        project = cls(root)
        shutil.copytree(
            PROJECT_ROOT / "conf", project.conf, ignore=shutil.ignore_patterns("local")
        )
        (project.conf / "local").mkdir()
        base_globals = yaml.safe_load(
            (project.conf / "base" / "globals.yml").read_text()
        )
        local_paths = {key: str(project.path(key)) for key in base_globals["paths"]}
        for folder in local_paths.values():
            Path(folder).mkdir(parents=True, exist_ok=True)
        (project.conf / "local" / "globals.yml").write_text(
            yaml.safe_dump({"paths": local_paths})
        )
        return project

    def use_raw_file(self, source: Path) -> Path:
        """Make ``source`` the project's raw.csv (a symlink: the data is not copied)."""
        target = self.path("raw") / "raw.csv"
        target.unlink(missing_ok=True)
        target.symlink_to(source.resolve())
        return target

    def kedro(self, *args: str, env: dict[str, str] | None = None, timeout: int = 600):
        """Run ``kedro <args>`` with this configuration; returns the CompletedProcess."""
        return _run_from_root(
            [*KEDRO, *args, "--conf-source", str(self.conf)], env, timeout
        )
