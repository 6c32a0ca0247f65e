"""What a Lambda event asks a stage to do: which bucket, which run date.

A stage handler accepts the events that start it in production:

- a Step Functions task input or a hand-made test event: ``{"bucket": "b",
  "run_date": "20261203"}`` (both optional: the bucket then comes from
  ``CRIPTOS_BUCKET``, the date from the run's default, today);
- an EventBridge ``Scheduled Event`` (the daily rule): the date is the day the rule
  fired (its ``time``, UTC), so a retry after midnight still runs that day;
- an S3 ``ObjectCreated`` notification (``Records``) or its EventBridge form
  (``detail-type`` ``Object Created``) for the raw file: only the feature job
  takes it, and only for the raw key (``raw/raw.csv``): any other key is refused,
  so an upload elsewhere in the bucket never starts a run.

Anything else is refused with ``HandlerInputError``, whose message names the
problem; Step Functions shows it as the task's error (``errorType``
``HandlerInputError``: not worth a retry).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from criptos.contracts.errors import InputError

BUCKET_ENV = "CRIPTOS_BUCKET"
RAW_KEY = "raw/raw.csv"
# S3's own rule for bucket names (3-63 lowercase letters, digits, dots, hyphens).
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
RUN_DATE = re.compile(r"^\d{8}$")


class HandlerInputError(InputError):
    """The event cannot start a run: its message says why (not worth a retry)."""


@dataclass(frozen=True)
class StageRequest:
    """A stage run: the bucket it works on, its run date (None: today), and why."""

    bucket: str
    run_date: str | None
    trigger: str  # "task", "schedule" or "s3"


def bucket_name(name: Any, where: str) -> str:
    """``name`` if it is a valid S3 bucket name, else ``HandlerInputError``."""
    if not isinstance(name, str) or not BUCKET_NAME.match(name):
        raise HandlerInputError(
            f"{where} is not a valid S3 bucket name: {name!r} (3-63 lowercase "
            "letters, digits, dots or hyphens)"
        )
    return name


def default_bucket(environ: Mapping[str, str] | None = None) -> str:
    """The bucket of ``CRIPTOS_BUCKET``, for events that name none."""
    name = (os.environ if environ is None else environ).get(BUCKET_ENV, "").strip()
    if not name:
        raise HandlerInputError(
            f"the event names no bucket and {BUCKET_ENV} is not set: pass "
            f'{{"bucket": "NAME"}} or set {BUCKET_ENV} on the function'
        )
    return bucket_name(name, BUCKET_ENV)


def _run_date(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not RUN_DATE.match(value):
        raise HandlerInputError(f"run_date must be YYYYMMDD, got {value!r}")
    try:
        datetime.strptime(value, "%Y%m%d")
    except ValueError:
        raise HandlerInputError(f"run_date is not a calendar date: {value!r}") from None
    return value


def _schedule_date(event: Mapping[str, Any]) -> str:
    time = event.get("time")
    try:
        fired = datetime.fromisoformat(str(time).replace("Z", "+00:00"))
    except ValueError:
        raise HandlerInputError(
            f"the scheduled event's time is not an ISO 8601 timestamp: {time!r}"
        ) from None
    return fired.strftime("%Y%m%d")


def _raw_object(bucket: Any, key: Any, where: str) -> str:
    """The bucket of an object-created event, if the object is the raw file."""
    name = bucket_name(bucket, f"{where} bucket name")
    if not isinstance(key, str) or unquote_plus(key) != RAW_KEY:
        raise HandlerInputError(
            f"{where} is for s3://{name}/{key}, not the raw file {RAW_KEY}: "
            "only a new raw file starts the feature job"
        )
    return name


def _s3_notification(records: Any) -> str:
    if not isinstance(records, list) or len(records) != 1:
        count = len(records) if isinstance(records, list) else type(records).__name__
        raise HandlerInputError(
            f"an S3 notification must hold exactly one record, got {count}"
        )
    record = records[0]
    s3 = record.get("s3") if isinstance(record, Mapping) else None
    if (
        not isinstance(s3, Mapping)
        or record.get("eventSource") != "aws:s3"
        or not str(record.get("eventName", "")).startswith("ObjectCreated:")
    ):
        raise HandlerInputError(
            "the S3 notification record is not an aws:s3 ObjectCreated event: "
            f"eventSource={record.get('eventSource')!r}, "
            f"eventName={record.get('eventName')!r}"
            if isinstance(record, Mapping)
            else f"the S3 notification record is not an object: {record!r}"
        )
    return _raw_object(
        (s3.get("bucket") or {}).get("name"),
        (s3.get("object") or {}).get("key"),
        "the S3 notification",
    )


def parse_stage_event(
    event: Any, *, accepts_uploads: bool, environ: Mapping[str, str] | None = None
) -> StageRequest:
    """The run ``event`` asks for (see the module docstring), or ``HandlerInputError``."""
    if not isinstance(event, Mapping):
        raise HandlerInputError(
            f"the event must be a JSON object, got {type(event).__name__}"
        )
    upload = "Records" in event or event.get("detail-type") == "Object Created"
    if upload and not accepts_uploads:
        raise HandlerInputError(
            "an S3 upload event starts only the feature job, not this stage"
        )
    if "Records" in event:
        return StageRequest(_s3_notification(event["Records"]), None, "s3")
    if event.get("detail-type") == "Object Created":
        detail = event.get("detail") or {}
        bucket = _raw_object(
            (detail.get("bucket") or {}).get("name"),
            (detail.get("object") or {}).get("key"),
            "the EventBridge Object Created event",
        )
        return StageRequest(bucket, None, "s3")
    if event.get("detail-type") == "Scheduled Event":
        bucket = (event.get("detail") or {}).get("bucket")
        return StageRequest(
            bucket_name(bucket, "the scheduled event's detail.bucket")
            if bucket is not None
            else default_bucket(environ),
            _schedule_date(event),
            "schedule",
        )
    # A Step Functions task passes the previous stage's result on: its other keys
    # (pipeline, run_id, model_version...) are information, not instructions.
    bucket = event.get("bucket")
    return StageRequest(
        bucket_name(bucket, "the event's bucket")
        if bucket is not None
        else default_bucket(environ),
        _run_date(event.get("run_date")),
        "task",
    )
