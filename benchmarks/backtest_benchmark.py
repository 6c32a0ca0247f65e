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
import statistics

from benchmarks.training_benchmark import TABLE_HEADER, append_rows, timed_runs

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
    rows, times = timed_runs("feature_engineering,training", "backtest", args.repeats)
    pipelines = [pipeline or wall for wall, pipeline in times]
    print(
        f"median pipeline time: {statistics.median(pipelines):.1f} s "
        f"(target {TARGET_SECONDS:.0f} s)"
    )
    if not args.no_write:
        append_rows(rows, SECTION, SECTION_INTRO)
        print(f"appended {len(rows)} row(s) to docs/benchmarks.md")


if __name__ == "__main__":
    main()
