"""Wall time of the backtest pipeline on the real data (shipped in ``src/criptos/data``).

Runs ``kedro run --pipelines feature_engineering,training`` once in a throwaway
``KedroProject`` copy (untimed: it writes the out-of-fold forecasts the backtest
trades), then ``kedro run --pipelines backtest`` ``--repeats`` times, timing each
whole CLI process and reading Kedro's "Pipeline ran in N s". One row per repetition
goes to the section "Backtest" of ``docs/benchmarks.md``. Target: under 10 s.

    .venv/bin/python -m benchmarks.backtest_benchmark               # 3 repetitions
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from tests.kedro_project import KedroProject, write_real_raw_csv

from benchmarks.training_benchmark import TABLE_HEADER, append_rows, run_pipeline

SECTION = "## Backtest"
TARGET_SECONDS = 10.0
SECTION_INTRO = (
    f"{SECTION}\n\n"
    "`kedro run --pipelines backtest` on the real 7-coin file's out-of-fold forecasts "
    "(5 models, 2,340 walk-forward days and the 180-day hold-out): both strategies "
    "per model, pooled, per fold and on the hold-out, the baselines and buy-and-hold, "
    "backtest.json, the daily returns and three plots. Written by "
    "`.venv/bin/python -m benchmarks.backtest_benchmark`, one row per run. Target: "
    f"under {TARGET_SECONDS:.0f} s; the CLI wall time includes about 4 s of Python "
    "and Kedro start-up that any `kedro run` pays.\n\n"
    f"{TABLE_HEADER}\n"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    rows, pipelines = [], []
    with tempfile.TemporaryDirectory(prefix="backtest_benchmark_") as folder:
        project = KedroProject.create(Path(folder) / "project")
        project.use_raw_file(write_real_raw_csv(Path(folder)))
        run_pipeline(project, "feature_engineering,training")
        for repeat in range(1, args.repeats + 1):
            load = os.getloadavg()
            when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
            wall, pipeline = run_pipeline(project, "backtest")
            pipelines.append(pipeline or wall)
            pipeline_text = f"{pipeline:.1f}" if pipeline is not None else "?"
            print(
                f"run {repeat}/{args.repeats}: CLI {wall:.1f} s, pipeline {pipeline_text} s"
            )
            rows.append(
                f"| {when} | {wall:.1f} | {pipeline_text} | {os.cpu_count()} | "
                f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} |"
            )
    print(
        f"median pipeline time: {statistics.median(pipelines):.1f} s "
        f"(target {TARGET_SECONDS:.0f} s)"
    )
    if not args.no_write:
        append_rows(rows, SECTION, SECTION_INTRO)
        print(f"appended {len(rows)} row(s) to docs/benchmarks.md")


if __name__ == "__main__":
    main()
