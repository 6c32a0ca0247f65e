"""Writes the "Feature engineering" section of docs/benchmarks.md, keeping other sections."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path
from typing import Any

SECTION = "## Feature engineering"


def _row(m: Any, naive: Any) -> str:
    pipeline = f"{m.pipeline_seconds:.2f}" if m.pipeline_seconds is not None else ""
    walls = ", ".join(f"{w:.1f}" for w in m.walls)
    return (
        f"| {m.name} | {m.seconds:.1f} | {walls} | {pipeline} | {m.peak_mb:,.0f} | "
        f"{m.seconds / naive.seconds:.2f} | {m.peak_mb / naive.peak_mb:.2f} |"
    )


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


def _section(values: dict[str, Any]) -> str:
    floor, naive, project, parts, startup, daily = (
        values[name]
        for name in ("floor", "naive", "project", "parts", "startup", "daily")
    )
    raw: Path = values["raw"]
    checks = values["comparison"].mismatches
    scaled = values["comparison"].asset_scale
    load = values["load"]
    return "\n".join(
        [
            SECTION,
            "",
            f"Measured {values['when']} by `.venv/bin/python -m benchmarks.feature_benchmark` on "
            f"{values['assets']:,} synthetic assets x {values['days']:,} days "
            f"({values['assets'] * values['days']:,} rows, {raw.stat().st_size / 1e9:.2f} GB of CSV), "
            f"{platform.machine()} with {_cpus()} cores. Each contender is a whole process under "
            f"`/usr/bin/time -v`, run {values['repeat']} times (after `sync`, with its outputs "
            "deleted or restored untimed): the fastest run counts, every wall time is listed. "
            "Pipeline s is the Kedro pipeline alone (the run timer hook's `Pipeline ran in`).",
            "",
            "| contender | wall s | every run, s | pipeline s | peak MB | time / naive | memory / naive |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
            *(_row(m, naive) for m in (project, parts, naive, floor, startup, daily)),
            "",
            f"- **Full run** vs the naive reference: **{naive.seconds / project.seconds:.1f}x** "
            f"faster with the default file layout, **{naive.seconds / parts.seconds:.1f}x** with the "
            f"parts layout; memory **{project.peak_mb / naive.peak_mb:.0%}** and "
            f"**{parts.peak_mb / naive.peak_mb:.0%}** of its peak (targets: at least 4x, at most "
            f"50 %). Against the I/O floor: {project.seconds / floor.seconds:.1f}x its time.",
            f"- **Daily run** (raw file = one new day for all {values['assets']:,} assets, parts "
            "layout, `feature_engineering.ingest=append` onto the stored candle history, the "
            f"previous latest as state): the pipeline takes "
            f"**{daily.pipeline_seconds:.2f} s, {daily.pipeline_seconds / parts.pipeline_seconds:.1%}** "
            f"of the full run's pipeline (target: under 10 %); the whole process "
            f"{daily.seconds:.1f} s, {daily.seconds / parts.seconds:.0%} of the full run's, of which "
            f"{startup.seconds:.1f} s is what any `kedro run` of this pipeline costs before and "
            "after its nodes (the 7-row row above: interpreter, imports, configuration).",
            f"- Checks: seed features equal the reference's within a relative 1e-9: "
            f"{'yes, every row and column' if not checks else 'NO: ' + str(checks)}"
            + (
                f" ({', '.join(f'{c}: {n} rows' for c, n in scaled.items())} only within 1e-12 of "
                "the asset's largest magnitude: the reference's rolling windows add and "
                "subtract values as they slide, so their rounding grows with past magnitudes)"
                if scaled
                else ""
            )
            + f"; the parts layout's table equals the file layout's exactly: "
            f"{_yes(values['parts_identical'])}; after the daily run, latest equals the full "
            f"run's exactly: {_yes(values['daily_identical'])}.",
            "- What each contender does: the project runs are the whole `kedro run` (Arrow CSV "
            "read, row validation with quarantine and report, the candle history written (file "
            "or parts), features of 200,000-row batches of "
            "whole assets on two threads; the file layout writes them as row groups of one "
            "Parquet file while the next batches compute, the parts layout writes one file per "
            "batch from the worker threads; latest is a hard link of the dated table). The daily "
            "run reads the history's per-asset summary and the features' stored state (each "
            "asset's last look-back rows), appends the day to the history and the features as "
            "one delta file each and hard-links the rest. The naive reference "
            "computes only the seed's columns (the project writes 56); the I/O floor parses "
            "numbers while reading and computes nothing.",
            f"- The machine is shared with other jobs (load average {load[0]:.2f} / "
            f"{load[1]:.2f} / {load[2]:.2f} at the start): absolute times are noisy; the "
            "ratios within one run are what matter.",
            "",
        ]
    )


def _cpus() -> int:
    return os.cpu_count() or 0


def write_section(document: Path, **values: Any) -> None:
    """Replace (or append) the feature engineering section of ``document``."""
    text = document.read_text() if document.exists() else "# Benchmarks\n\n"
    section = _section(values)
    pattern = re.compile(
        rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL
    )
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    document.parent.mkdir(parents=True, exist_ok=True)
    document.write_text(text)
