"""Benchmark of the feature_engineering pipeline against a naive reference and the I/O floor.

Builds a large raw file from the real assets shipped in ``src/criptos/data`` (see
``benchmarks.synthetic_raw``), then runs three contenders on it as whole processes
under ``/usr/bin/time -v`` (Debian package ``time``: ``apt-get install time`` if
``/usr/bin/time`` is missing):

1. ``kedro run --pipelines feature_engineering`` of this project (full mode);
2. the naive reference (``benchmarks.naive_reference``);
3. the I/O floor (``benchmarks.io_floor``): Arrow CSV read + snappy Parquet write.

It checks that the project's seed features equal the reference's (relative tolerance
1e-9), times a daily incremental run (one new day for every asset appended to the
stored candle history, ``feature_engineering.ingest=append``, the previous latest as
state) and checks it equals the full run exactly, then writes the section
"Feature engineering" of ``docs/benchmarks.md`` (other sections are kept).

    .venv/bin/python -m benchmarks.feature_benchmark             # 3,000 assets x 2,400 days
    .venv/bin/python -m benchmarks.feature_benchmark --quick     # 300 assets, for iterations

Everything large lives in ``benchmarks/work/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tests.kedro_project import (
    PROJECT_ROOT,
    KedroProject,
    cli_environment,
    write_real_raw_csv,
)

from benchmarks.compare import compare_seed_features, tables_identical
from benchmarks.report import write_section
from benchmarks.synthetic_raw import write_synthetic_raw

logger = logging.getLogger("feature_benchmark")

WORK = PROJECT_ROOT / "benchmarks" / "work"
TIME = Path("/usr/bin/time")
RUN_DATE = "20210706"
HISTORY_RUN_DATE = "20210705"  # the daily run's previous day


@dataclass(frozen=True)
class Measurement:
    """Wall time and peak resident memory of a whole process: the fastest of its runs.

    ``pipeline_seconds``: the Kedro pipeline alone (``Pipeline ran in`` of the run
    timer hook), for project runs; ``walls``: the wall time of every run.
    """

    name: str
    seconds: float
    peak_mb: float
    pipeline_seconds: float | None = None
    walls: tuple[float, ...] = ()


def _parse_time_v(stderr: str) -> tuple[float, float]:
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", stderr)
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    if not wall or not peak:
        raise RuntimeError(f"could not read /usr/bin/time -v output:\n{stderr[-2000:]}")
    seconds = 0.0
    for part in wall.group(1).split(":"):
        seconds = seconds * 60 + float(part)
    return seconds, int(peak.group(1)) / 1024


def _run_once(
    command: list[str], env: dict[str, str] | None
) -> tuple[float, float, float | None]:
    os.sync()  # the previous contender's writes must not land on this one's clock
    result = subprocess.run(
        [str(TIME), "-v", *command],
        cwd=PROJECT_ROOT,
        env=env or cli_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
        )
    seconds, peak_mb = _parse_time_v(result.stderr)
    pipeline = re.search(r"Pipeline ran in ([\d.]+) s", result.stdout + result.stderr)
    return seconds, peak_mb, float(pipeline.group(1)) if pipeline else None


def measure(
    name: str,
    command: list[str],
    repeat: int = 1,
    before_each: Callable[[], None] | None = None,
) -> Measurement:
    """Run ``command`` ``repeat`` times under ``/usr/bin/time -v`` (after
    ``before_each``, untimed); keep the fastest run. Fail loudly if a run fails."""
    if not TIME.exists():
        raise SystemExit(
            "/usr/bin/time is missing: install Debian's package with `apt-get install time`"
        )
    logger.info("Running %s: %s", name, " ".join(command))
    runs = []
    for _ in range(repeat):
        if before_each is not None:
            before_each()
        runs.append(_run_once(command, None))
        logger.info("%s: %.1f s, %.0f MB peak, pipeline %s s", name, *runs[-1])
    seconds, peak_mb, pipeline = min(runs, key=lambda run: run[0])
    return Measurement(name, seconds, peak_mb, pipeline, tuple(run[0] for run in runs))


def _split_last_day(raw: Path, history: Path, last_day: Path) -> None:
    """Write the file without its last date, and the header plus the last date's rows."""
    with raw.open("rb") as source:
        header = source.readline()
        source.seek(0, os.SEEK_END)
        size = source.tell()
        source.seek(max(0, size - 4 * 1024 * 1024))
        tail = source.read()
    last_date = tail.rstrip(b"\n").rsplit(b"\n", 1)[-1].split(b"|")[1]
    first_of_last = tail.index(b"|" + last_date + b"|")
    line_start = tail.rindex(b"\n", 0, first_of_last) + 1
    cut = size - len(tail) + line_start
    with raw.open("rb") as source, history.open("wb") as target:
        shutil.copyfileobj(source, target, length=16 * 1024 * 1024)
        target.truncate(cut)
    last_day.write_bytes(header + tail[line_start:])


def _project(name: str, raw: Path) -> KedroProject:
    folder = WORK / name
    shutil.rmtree(folder, ignore_errors=True)
    project = KedroProject.create(folder)
    project.use_raw_file(raw)
    return project


def _kedro_command(
    project: KedroProject, *params: str, run_date: str = RUN_DATE
) -> list[str]:
    joined = ",".join([f"run_date={run_date}", *params])
    return [
        sys.executable, "-m", "kedro", "run", "--pipelines", "feature_engineering",
        "--params", joined, "--conf-source", str(project.conf),
    ]  # fmt: skip


# What a feature run writes: the candle history and the feature tables.
STORED = ("primary", "features")


def _fresh_features(project: KedroProject) -> Callable[[], None]:
    """Before each run: no history and no feature files, so every run writes them
    from scratch."""

    def clear() -> None:
        for key in STORED:
            shutil.rmtree(project.path(key))
            project.path(key).mkdir()

    return clear


def _restored_features(project: KedroProject) -> Callable[[], None]:
    """Before each run: the history and feature folders as they are now (hard-linked
    snapshots)."""
    snapshot = project.root / "stored_snapshot"
    shutil.rmtree(snapshot, ignore_errors=True)
    for key in STORED:
        shutil.copytree(project.path(key), snapshot / key, copy_function=os.link)

    def restore() -> None:
        for key in STORED:
            shutil.rmtree(project.path(key))
            shutil.copytree(snapshot / key, project.path(key), copy_function=os.link)

    return restore


def _head(raw: Path, target: Path, lines: int) -> Path:
    with raw.open("rb") as source, target.open("wb") as sink:
        sink.writelines(next(source) for _ in range(lines))
    return target


def run(assets: int, days: int, write_docs: bool, repeat: int) -> None:
    """Generate (once), measure every contender, check results, write the docs section."""
    WORK.mkdir(parents=True, exist_ok=True)
    raw = WORK / f"raw_{assets}x{days}.csv"
    if not raw.exists():
        write_synthetic_raw(write_real_raw_csv(WORK), raw, assets, days)
    history, last_day = (
        WORK / f"history_{assets}x{days}.csv",
        WORK / f"last_day_{assets}x{days}.csv",
    )
    _split_last_day(raw, history, last_day)
    load = os.getloadavg()
    io_floor = [
        sys.executable,
        "-m",
        "benchmarks.io_floor",
        str(raw),
        str(WORK / "io_floor.parquet"),
    ]
    naive_out = WORK / "naive_reference.parquet"
    naive_command = [
        sys.executable,
        "-m",
        "benchmarks.naive_reference",
        str(raw),
        str(naive_out),
    ]
    full = "feature_engineering.mode=full"

    floor = measure("I/O floor", io_floor, repeat)
    naive = measure("naive reference", naive_command, repeat)
    file_project = _project("project_full", raw)
    project = measure(
        "project (full run, file layout)",
        _kedro_command(file_project, full),
        repeat,
        _fresh_features(file_project),
    )
    parts_project = _project("project_parts", raw)
    parts = measure(
        "project (full run, parts layout)",
        _kedro_command(parts_project, full, "features_layout=parts"),
        repeat,
        _fresh_features(parts_project),
    )
    file_latest = file_project.path("features") / "cripto_features_latest.parquet"
    parts_latest = parts_project.path("features") / "cripto_features_latest.parquet"
    comparison = compare_seed_features(file_latest, naive_out)
    parts_identical = tables_identical(parts_latest, file_latest)

    tiny = _project("project_startup", _head(raw, WORK / "head.csv", lines=8))
    startup = measure(
        "Kedro start-up (same pipeline, 7-row raw file)",
        _kedro_command(tiny, full),
        repeat,
        _fresh_features(tiny),
    )
    daily_project = _project("project_daily", history)
    measure(
        "history for the daily run (untimed)",
        _kedro_command(
            daily_project, full, "features_layout=parts", run_date=HISTORY_RUN_DATE
        ),
    )
    daily_project.use_raw_file(last_day)
    daily = measure(
        "project (daily run, parts layout)",
        _kedro_command(
            daily_project, "features_layout=parts", "feature_engineering.ingest=append"
        ),
        repeat,
        _restored_features(daily_project),
    )
    daily_latest = daily_project.path("features") / "cripto_features_latest.parquet"
    daily_identical = tables_identical(daily_latest, file_latest)
    logger.info(
        "parts == file: %s; daily == full: %s; seed features vs reference: %s",
        parts_identical,
        daily_identical,
        comparison.mismatches or "equal",
    )

    if write_docs:
        write_section(
            PROJECT_ROOT / "docs" / "benchmarks.md",
            assets=assets, days=days, raw=raw, load=load, repeat=repeat,
            floor=floor, naive=naive, project=project, parts=parts,
            startup=startup, daily=daily, comparison=comparison,
            parts_identical=parts_identical, daily_identical=daily_identical,
            when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )  # fmt: skip
    if comparison.mismatches or not parts_identical or not daily_identical:
        raise SystemExit("result check failed (see the log above)")


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=3000)
    parser.add_argument("--days", type=int, default=2400)
    parser.add_argument(
        "--quick", action="store_true", help="300 assets: a quick iteration"
    )
    parser.add_argument(
        "--no-docs", action="store_true", help="do not touch docs/benchmarks.md"
    )
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs per contender (the fastest counts)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    assets = 300 if args.quick else args.assets
    run(
        assets,
        args.days,
        write_docs=not args.no_docs and not args.quick,
        repeat=args.repeat,
    )


if __name__ == "__main__":
    main()
