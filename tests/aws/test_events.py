"""What each Lambda event asks a stage to do, and the events it refuses."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from criptos.aws.events import HandlerInputError, StageRequest, parse_stage_event
from criptos.aws.stages import STAGES, check_stages, stage_of_handler
from criptos.pipeline_registry import DEFAULT_PIPELINES, PIPELINE_MODULES

EVENTS = Path(__file__).parent / "events"
ENVIRON = {"CRIPTOS_BUCKET": "criptos-data"}


def event(name: str) -> dict[str, Any]:
    """One of the real event payloads in tests/aws/events/."""
    return json.loads((EVENTS / f"{name}.json").read_text())


def parse(payload: Any, *, uploads: bool = True, environ=ENVIRON) -> StageRequest:
    return parse_stage_event(payload, accepts_uploads=uploads, environ=environ)


def test_stages_run_the_default_pipelines_in_order() -> None:
    assert [stage.state for stage in STAGES] == ["Feature", "Train", "Export"]
    assert tuple(p for stage in STAGES for p in stage.pipelines) == DEFAULT_PIPELINES
    assert all(p in PIPELINE_MODULES for stage in STAGES for p in stage.pipelines)
    assert stage_of_handler("train").handler_path == "criptos.aws.handlers.train"


def test_a_stage_list_that_drops_a_default_pipeline_is_refused() -> None:
    with pytest.raises(ValueError, match="backtest"):
        check_stages((STAGES[0], STAGES[2]))


def test_the_daily_schedule_runs_the_day_it_fired_on_the_configured_bucket() -> None:
    assert parse(event("scheduled_event")) == StageRequest(
        "criptos-data", "20210707", "schedule"
    )


def test_a_schedule_without_a_bucket_anywhere_names_the_variable() -> None:
    with pytest.raises(HandlerInputError, match="CRIPTOS_BUCKET is not set"):
        parse(event("scheduled_event"), environ={})


def test_a_schedule_with_a_broken_time_is_refused() -> None:
    payload = event("scheduled_event") | {"time": "yesterday"}
    with pytest.raises(HandlerInputError, match="ISO 8601.*yesterday"):
        parse(payload)


@pytest.mark.parametrize("name", ["s3_object_created", "eventbridge_object_created"])
def test_an_upload_of_the_raw_file_starts_the_feature_job(name: str) -> None:
    assert parse(event(name), environ={}) == StageRequest("criptos-data", None, "s3")


def test_an_upload_elsewhere_in_the_bucket_starts_nothing() -> None:
    payload = event("s3_object_created")
    payload["Records"][0]["s3"]["object"]["key"] = "features/cripto_features.parquet"
    with pytest.raises(HandlerInputError, match="not the raw file raw/raw.csv"):
        parse(payload)


def test_an_url_encoded_raw_key_is_the_raw_file() -> None:
    payload = event("s3_object_created")
    payload["Records"][0]["s3"]["object"]["key"] = "raw%2Fraw.csv"
    assert parse(payload).bucket == "criptos-data"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p["Records"].append(copy.deepcopy(p["Records"][0])), "exactly one"),
        (lambda p: p["Records"].clear(), "exactly one record, got 0"),
        (lambda p: p["Records"][0].update(eventName="ObjectRemoved:Delete"), "Removed"),
        (lambda p: p["Records"][0]["s3"]["bucket"].update(name="Bad_Name"), "Bad_Name"),
    ],
)
def test_a_malformed_s3_notification_names_its_problem(change, message: str) -> None:
    payload = event("s3_object_created")
    change(payload)
    with pytest.raises(HandlerInputError, match=message):
        parse(payload)


def test_only_the_feature_job_takes_upload_events() -> None:
    with pytest.raises(HandlerInputError, match="only the feature job"):
        parse(event("s3_object_created"), uploads=False)


def test_a_task_input_passes_bucket_and_date_and_ignores_the_previous_result() -> None:
    previous = {
        "stage": "Feature",
        "bucket": "other-bucket",
        "run_date": "20210707",
        "run_id": "2021-07-07T02.30.00.000Z",
    }
    assert parse(previous, uploads=False) == StageRequest(
        "other-bucket", "20210707", "task"
    )
    assert parse({}, uploads=False) == StageRequest("criptos-data", None, "task")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("criptos-data", "must be a JSON object, got str"),
        ([{"bucket": "criptos-data"}], "must be a JSON object, got list"),
        ({"bucket": ""}, "not a valid S3 bucket name: ''"),
        ({"bucket": 42}, "not a valid S3 bucket name: 42"),
        ({"bucket": "s3://criptos-data"}, "not a valid S3 bucket name"),
        ({"run_date": "2021-07-07"}, "run_date must be YYYYMMDD"),
        ({"run_date": "20210230"}, "not a calendar date"),
    ],
)
def test_a_malformed_task_input_names_its_problem(payload: Any, message: str) -> None:
    with pytest.raises(HandlerInputError, match=message):
        parse(payload, uploads=False)
