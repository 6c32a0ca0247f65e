"""The one sweep of leftovers on the local disk (feature tables and registry alike)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from criptos.storage import local_files

HEX = "0123456789abcdef" * 2


@pytest.mark.parametrize(
    "name, of, leftover",
    [
        (f".latest.{HEX}.tmp", None, True),
        (f".latest.{HEX}.old", "latest", True),
        (f".latest.{HEX}.tmp", "other", False),
        (f".latest.{HEX[:-1]}.tmp", None, False),  # 31 hex digits
        (f"latest.{HEX}.tmp", None, False),  # not hidden
        (f".x.parquet.{HEX}.bak", None, False),
    ],
)
def test_is_leftover_knows_the_staging_and_retired_names(name, of, leftover):
    assert local_files.is_leftover(name, of=of) is leftover
    if of is None and leftover:
        assert local_files.is_leftover(
            local_files.staging_path(Path("/any/latest")).name
        )


def test_stale_cutoff_is_the_process_start_or_the_grace_period_ago():
    assert local_files.stale_cutoff() == local_files.PROCESS_START
    assert local_files.stale_cutoff(-1e9) == local_files.PROCESS_START
    assert local_files.stale_cutoff(1e9) == pytest.approx(time.time() - 1e9, abs=5)


def _aged(path: Path, moment: float) -> None:
    os.utime(path, (moment, moment))


def test_remove_stale_judges_a_folder_by_its_tree_or_by_itself(tmp_path: Path):
    long_ago = local_files.PROCESS_START - 86_400
    old_file = tmp_path / ".a.tmp"
    old_file.write_bytes(b"x")
    _aged(old_file, long_ago)
    filling = tmp_path / ".b.tmp"  # an old folder a slow writer still fills
    filling.mkdir()
    (filling / "part").write_bytes(b"new")
    _aged(filling, long_ago)
    fresh = tmp_path / ".c.tmp"
    fresh.write_bytes(b"in flight")

    candidates = [old_file, filling, fresh, tmp_path / ".gone.tmp"]
    cutoff = local_files.stale_cutoff()
    assert local_files.remove_stale(candidates, cutoff) == [old_file]
    assert filling.exists() and fresh.exists()
    assert local_files.remove_stale(candidates, cutoff, whole_tree=False) == [filling]
    assert fresh.exists()


def test_remove_stale_leftovers_takes_only_the_targets_own(tmp_path: Path):
    target = tmp_path / "table.parquet"
    mine = tmp_path / f".table.parquet.{HEX}.old"
    other = tmp_path / f".other.parquet.{HEX}.tmp"
    for path in (mine, other):
        path.write_bytes(b"x")
        _aged(path, local_files.PROCESS_START - 60)

    assert local_files.remove_stale_leftovers(target) == [mine]
    assert other.exists()
    assert local_files.remove_stale_leftovers(tmp_path / "missing" / "t") == []
