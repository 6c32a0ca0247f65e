"""Wall time of the training pipeline on the real data (shipped in ``src/criptos/data``).

Runs ``kedro run --pipelines feature_engineering`` once in a throwaway
``KedroProject`` copy (untimed: it only prepares ``cripto_features_latest``), then
``kedro run --pipelines training`` ``--repeats`` times, timing each whole CLI process
and reading Kedro's own "Pipeline execution completed ... in N sec" figure. One row
per repetition is appended to the section "Training" of ``docs/benchmarks.md``
together with the machine's load average, because the machine is shared and the
times are noisy.

    .venv/bin/python -m benchmarks.training_benchmark               # 3 repetitions
    .venv/bin/python -m benchmarks.training_benchmark --repeats 1
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.kedro_project import PROJECT_ROOT, KedroProject, write_real_raw_csv

DOCUMENT = PROJECT_ROOT / "docs" / "benchmarks.md"
SECTION = "## Training"
TARGET_SECONDS = 90.0
TABLE_HEADER = (
    "| measured (UTC) | CLI wall s | pipeline s (Kedro) | cores | load avg at start |\n"
    "| --- | ---: | ---: | ---: | --- |"
)
SECTION_INTRO = (
    f"{SECTION}\n\n"
    "`kedro run --pipelines training` on the real 7-coin file (17,054 labelled rows): "
    "5 models x 81 fits (5 walk-forward blocks refitted every 30 days, and the "
    "hold-out), the baselines in the same windows, hold-out permutation importance, "
    "the reports and the 5 final fits. Written by `.venv/bin/python -m benchmarks.training_benchmark`, one row per "
    f"run. Target: under {TARGET_SECONDS:.0f} s on 2 cores. The machine is shared with "
    "other jobs, so the times are noisy: compare rows with similar load averages.\n\n"
    f"{TABLE_HEADER}\n"
)
KEDRO_TOTAL = re.compile(r"Pipeline ran in ([\d.]+) s")


def run_pipeline(project: KedroProject, pipeline: str) -> tuple[float, float | None]:
    """CLI wall seconds and Kedro's own pipeline seconds; raises if the run fails."""
    started = time.perf_counter()
    result = project.kedro("run", "--pipelines", pipeline)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(
            f"kedro run --pipelines {pipeline} failed:\n{result.stderr[-4000:]}"
        )
    match = KEDRO_TOTAL.search(result.stdout + result.stderr)
    return wall, float(match.group(1)) if match else None


def append_rows(
    rows: list[str],
    section: str = SECTION,
    intro: str = SECTION_INTRO,
    document: Path = DOCUMENT,
) -> None:
    """Append table rows to ``section``, creating it (with ``intro``) if needed."""
    text = document.read_text() if document.exists() else "# Benchmarks\n"
    start = text.find(f"\n{section}\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + intro
        end = len(text)
    else:
        following = text.find("\n## ", start + len(section) + 2)
        end = len(text) if following < 0 else following
    block = text[:end].rstrip("\n") + "\n" + "\n".join(rows) + "\n"
    rest = text[end:]
    document.parent.mkdir(parents=True, exist_ok=True)
    document.write_text(block + (("\n" + rest.lstrip("\n")) if rest else ""))


def timed_runs(
    prepare: str, timed: str, repeats: int
) -> tuple[list[str], list[tuple[float, float | None]]]:
    """On a throwaway project with the real raw file: ``prepare`` once (untimed), then
    ``timed`` ``repeats`` times; the table rows and each (CLI wall, pipeline) seconds."""
    rows, times = [], []
    with tempfile.TemporaryDirectory(prefix="benchmark_") as folder:
        project = KedroProject.create(Path(folder) / "project")
        project.use_raw_file(write_real_raw_csv(Path(folder)))
        run_pipeline(project, prepare)
        for repeat in range(1, repeats + 1):
            load = os.getloadavg()
            when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
            wall, pipeline = run_pipeline(project, timed)
            times.append((wall, pipeline))
            pipeline_text = f"{pipeline:.1f}" if pipeline is not None else "?"
            print(
                f"run {repeat}/{repeats}: CLI {wall:.1f} s, pipeline {pipeline_text} s, "
                f"load {load[0]:.2f}"
            )
            rows.append(
                f"| {when} | {wall:.1f} | {pipeline_text} | {os.cpu_count()} | "
                f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} |"
            )
    return rows, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    rows, times = timed_runs("feature_engineering", "training", args.repeats)
    walls = [wall for wall, _ in times]
    print(
        f"median CLI wall time: {statistics.median(walls):.1f} s (target {TARGET_SECONDS:.0f} s)"
    )
    if not args.no_write:
        append_rows(rows)
        print(f"appended {len(rows)} row(s) to {DOCUMENT.relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main()
