"""Benchmark of the prediction API: ``/predict?ativo=BTC`` against ``/health``.

Starts ``python -m criptos.api`` on 127.0.0.1 (one uvicorn process, access log off)
on a throwaway project: the real features of ``src/criptos/data`` and five small
fitted models published with the project's ``ModelRegistryDataset``. Then ``wrk``
loads both endpoints of that same server in alternating rounds of bounded duration
and the section "API" of ``docs/benchmarks.md`` gets requests/s, p50 and p99
(other sections are kept). Target: ``/predict`` at least 70 % of ``/health``.

Needs ``wrk`` (Debian package ``wrk``: ``sudo apt-get install wrk``).

    .venv/bin/python -m benchmarks.api_benchmark                  # 10 rounds x 4 s per endpoint
    .venv/bin/python -m benchmarks.api_benchmark --duration 3 --rounds 1 --no-write
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tests.api.bundles import fit_models, make_manifest, publish
from tests.api.server import ApiServer
from tests.kedro_project import PROJECT_ROOT, KedroProject, write_real_raw_csv

from criptos.contracts.model_bundle import ModelBundle
from criptos.contracts.raw_file import read_raw_candles
from criptos.features import FeatureParams, compute_features
from criptos.validation import validate_candles

logger = logging.getLogger("benchmarks.api_benchmark")

DOCUMENT = PROJECT_ROOT / "docs" / "benchmarks.md"
SECTION = "## API"
ENDPOINTS = {"/health": "/health", "/predict": "/predict?ativo=BTC"}
TARGET_RATIO = 0.70
VERSION = "20260101T000000Z"
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
_LATENCY = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors:.*")


@dataclass(frozen=True)
class WrkRun:
    """One wrk run on one endpoint."""

    endpoint: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    failures: str | None


def parse_wrk(endpoint: str, output: str) -> WrkRun:
    """Requests/s and the 50 % / 99 % latencies (ms) from ``wrk --latency`` output."""
    latencies = {
        int(match[0]): float(match[1]) * _UNIT_MS[match[2]]
        for match in _LATENCY.findall(output)
    }
    rate = _RATE.search(output)
    if rate is None or set(latencies) != {50, 99}:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    non_2xx = _NON_2XX.search(output)
    socket_errors = _SOCKET_ERRORS.search(output)
    failures = (
        " ".join(match.group(0) for match in (non_2xx, socket_errors) if match) or None
    )
    return WrkRun(
        endpoint, float(rate.group(1)), latencies[50], latencies[99], failures
    )


def run_wrk(
    url: str, endpoint: str, duration: int, connections: int, threads: int
) -> WrkRun:
    """``wrk --latency`` on ``url`` for ``duration`` seconds."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "5s",
        "--latency",
        url,
    ]
    logger.info("Running %s", " ".join(command))
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + 60, check=True
    )
    return parse_wrk(endpoint, done.stdout)


def prepare_project(root: Path) -> KedroProject:
    """A throwaway project with the real latest features and one published version."""
    project = KedroProject.create(root)
    real_raw_csv = write_real_raw_csv(project.root / "real_data")
    with real_raw_csv.open("rb") as stream:
        raw = read_raw_candles(stream, source=str(real_raw_csv))
    features = compute_features(
        validate_candles(raw, max_quarantine_share=0.05).candles, FeatureParams()
    )
    features.to_parquet(
        project.path("features") / "cripto_features_latest.parquet", index=False
    )
    bundle = ModelBundle(
        manifest=make_manifest(features, VERSION), models=fit_models(features)
    )
    publish(project.path("model_registry"), bundle)
    return project


def summarise(runs: list[WrkRun], endpoint: str) -> WrkRun:
    """Median figures of one endpoint over the rounds."""
    mine = [run for run in runs if run.endpoint == endpoint]
    failures = "; ".join(run.failures for run in mine if run.failures) or None
    return WrkRun(
        endpoint,
        statistics.median(run.requests_per_second for run in mine),
        statistics.median(run.p50_ms for run in mine),
        statistics.median(run.p99_ms for run in mine),
        failures,
    )


def round_ratios(runs: list[WrkRun]) -> list[float]:
    """/predict over /health throughput of every round, each pair run back to back.

    Pairing adjacent runs cancels most of the drift of a shared machine's load.
    """
    health = [run.requests_per_second for run in runs if run.endpoint == "/health"]
    predict = [run.requests_per_second for run in runs if run.endpoint == "/predict"]
    return [p / h for p, h in zip(predict, health, strict=True)]


def section(
    results: dict[str, WrkRun],
    ratios: list[float],
    args: argparse.Namespace,
    load: tuple[float, ...],
) -> str:
    """The markdown of the "API" section."""
    ratio = statistics.median(ratios)
    medians_ratio = (
        results["/predict"].requests_per_second / results["/health"].requests_per_second
    )
    rows = [
        f"| `{ENDPOINTS[name]}` | {run.requests_per_second:,.0f} | {run.p50_ms:.2f} | {run.p99_ms:.2f} |"
        for name, run in results.items()
    ]
    failures = [
        f"{run.endpoint}: {run.failures}" for run in results.values() if run.failures
    ]
    return "\n".join(
        [
            SECTION,
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `.venv/bin/python -m benchmarks.api_benchmark` "
            f"(`wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency`, "
            f"{args.rounds} alternating rounds per endpoint, medians shown) against one "
            "`python -m criptos.api` process (uvicorn with uvloop and httptools, access log off) on "
            f"127.0.0.1, serving the 7 real assets; {os.cpu_count()} cores shared by server and wrk.",
            "",
            "| endpoint | requests/s | p50 ms | p99 ms |",
            "| --- | ---: | ---: | ---: |",
            *rows,
            "",
            f"- `/predict` throughput is **{ratio:.0%}** of `/health` on the same server "
            "(median over the rounds of the ratio of two back-to-back runs, "
            f"which ranged from {min(ratios):.0%} to {max(ratios):.0%}; the ratio of the "
            f"median throughputs in the table is {medians_ratio:.0%}; "
            f"target: at least {TARGET_RATIO:.0%}): each prediction is computed once when a "
            "version loads, so a request is a dictionary lookup returning pre-rendered JSON.",
            f"- Errors during the runs: {'; '.join(failures) if failures else 'none (every answer 2xx)'}.",
            f"- Load average at the start: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}; "
            "the machine is shared, so absolute figures are noisy; the ratio is what matters.",
            "",
        ]
    )


def write_section(document: Path, text: str) -> None:
    """Put ``text`` in place of the document's "API" section, or append it."""
    current = document.read_text() if document.exists() else "# Benchmarks\n"
    start = current.find(f"\n{SECTION}\n")
    if start < 0:
        updated = current.rstrip("\n") + "\n\n" + text
    else:
        following = current.find("\n## ", start + len(SECTION) + 2)
        tail = current[following + 1 :] if following >= 0 else ""
        updated = current[: start + 1] + text + ("\n" + tail if tail else "")
    document.write_text(updated)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration", type=int, default=4, help="seconds per wrk run (max 60)"
    )
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument(
        "--no-write", action="store_true", help="do not touch docs/benchmarks.md"
    )
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    if shutil.which("wrk") is None:
        parser.error(
            "wrk is not installed: sudo apt-get install wrk (Debian/Ubuntu package 'wrk')"
        )
    args.duration = max(1, min(args.duration, 60))
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="criptos-api-bench-") as folder:
        work = Path(folder)
        project = prepare_project(work / "project")
        server = ApiServer(
            log_file=work / "server.log",
            project_path=PROJECT_ROOT,
            conf_source=project.conf,
            poll_interval=10.0,  # the service's default
        )
        with server:
            server.wait_ready()
            for name, path in ENDPOINTS.items():  # warm-up
                run_wrk(server.url + path, name, 2, args.connections, args.threads)
            runs = [
                run_wrk(
                    server.url + path,
                    name,
                    args.duration,
                    args.connections,
                    args.threads,
                )
                for _ in range(args.rounds)
                for name, path in ENDPOINTS.items()
            ]
    results = {name: summarise(runs, name) for name in ENDPOINTS}
    for run in runs:
        logger.info(
            "%s: %.0f req/s, p50 %.2f ms, p99 %.2f ms",
            run.endpoint,
            run.requests_per_second,
            run.p50_ms,
            run.p99_ms,
        )
    text = section(results, round_ratios(runs), args, load)
    print(text)
    if not args.no_write:
        write_section(DOCUMENT, text)
        logger.info("Wrote the %s section of %s", SECTION, DOCUMENT)


if __name__ == "__main__":
    main()
