"""Checks before a run that reads or writes S3, each failure with a message that says which.

A run on the ``s3`` environment can fail for reasons that deep in a dataset's
traceback read only as "Forbidden" or "Could not connect": the endpoint is
unreachable, the credentials are wrong, the bucket does not exist, or an input such
as ``raw/raw.csv`` is missing. ``check_s3_locations`` probes these once, before any
node runs, so such a run fails without writing anything to the bucket.

Credentials and endpoint come from the standard AWS chain, exactly as for the
datasets themselves (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/
``AWS_SESSION_TOKEN``, ``AWS_PROFILE``, ``AWS_ENDPOINT_URL_S3``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
)
from botocore.exceptions import (
    ConnectTimeoutError as BotoConnectTimeout,
)
from botocore.exceptions import (
    ReadTimeoutError as BotoReadTimeout,
)

logger = logging.getLogger(__name__)

CREDENTIAL_ERRORS = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "InvalidClientTokenId",
    "TokenRefreshRequired",
    "AuthorizationHeaderMalformed",
}
UNREACHABLE_ERRORS = (
    EndpointConnectionError,
    BotoConnectTimeout,
    BotoReadTimeout,
    ConnectionClosedError,
)
CLIENT_CONFIG = Config(
    connect_timeout=5, read_timeout=15, retries={"max_attempts": 2, "mode": "standard"}
)


class S3PreflightError(RuntimeError):
    """The run cannot use S3; the message says what is wrong and where."""


@dataclass(frozen=True)
class S3Location:
    """One dataset's object or prefix in a bucket."""

    dataset: str
    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def dataset_location(name: str, config: Mapping[str, Any]) -> S3Location | None:
    """The S3 location of a catalog entry (``filepath``/``path``, wrapped ones too)."""
    for field in ("filepath", "path"):
        value = config.get(field)
        if isinstance(value, str) and value.startswith(("s3://", "s3a://")):
            bucket, _, key = value.split("://", 1)[1].partition("/")
            return S3Location(dataset=name, bucket=bucket, key=key.rstrip("/"))
    inner = config.get("dataset")
    if isinstance(inner, Mapping):
        return dataset_location(name, inner)
    return None


def s3_client() -> Any:
    """A plain S3 client from the standard AWS chain, with short timeouts."""
    try:
        session = botocore.session.Session()
        return session.create_client("s3", config=CLIENT_CONFIG)
    except ProfileNotFound as exc:
        raise S3PreflightError(f"AWS credentials: {exc} (check AWS_PROFILE)") from None


def _check_bucket(client: Any, bucket: str) -> None:
    """Raise ``S3PreflightError`` naming the problem when ``bucket`` cannot be listed."""
    endpoint = client.meta.endpoint_url
    try:
        client.list_objects_v2(Bucket=bucket, MaxKeys=1)
    except UNREACHABLE_ERRORS as exc:
        raise S3PreflightError(
            f"S3 endpoint {endpoint} is unreachable ({exc}); check AWS_ENDPOINT_URL_S3 "
            "and the network"
        ) from None
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise S3PreflightError(
            f"no usable AWS credentials ({exc}): set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"
        ) from None
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", str(exc))
        if code in CREDENTIAL_ERRORS:
            raise S3PreflightError(
                f"S3 at {endpoint} rejected the credentials ({code}: {message}); "
                "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN"
            ) from None
        if code in {"NoSuchBucket", "404"}:
            raise S3PreflightError(
                f"bucket {bucket!r} does not exist at {endpoint} (create it, or pass "
                "--params bucket=NAME)"
            ) from None
        if code in {"AccessDenied", "403", "AllAccessDisabled"}:
            raise S3PreflightError(
                f"the credentials may not list bucket {bucket!r} at {endpoint} ({code}: {message})"
            ) from None
        raise S3PreflightError(
            f"S3 check of bucket {bucket!r} at {endpoint} failed: {code} {message}"
        ) from None
    except BotoCoreError as exc:
        raise S3PreflightError(
            f"S3 check of bucket {bucket!r} at {endpoint} failed: {exc}"
        ) from None


def _exists(client: Any, location: S3Location) -> bool:
    """Whether an object or a prefix (versioned datasets, folders) exists at ``location``."""
    response = client.list_objects_v2(
        Bucket=location.bucket, Prefix=location.key, MaxKeys=1
    )
    return any(
        item["Key"] == location.key or item["Key"].startswith(location.key + "/")
        for item in response.get("Contents", [])
    )


def check_s3_locations(
    locations: Iterable[S3Location],
    required: Iterable[str],
    client: Any | None = None,
    loads_when_missing: Callable[[str], bool] | None = None,
) -> None:
    """Check every bucket of ``locations``, then that the ``required`` datasets exist.

    ``required`` names the datasets the run reads without producing them (its free
    inputs, e.g. ``raw_candles``). An input absent from the bucket is an error unless
    ``loads_when_missing(name)`` says its dataset loads anyway (optional inputs such
    as the previous feature table). Raises ``S3PreflightError`` on the first problem.
    """
    locations = list(locations)
    if not locations:
        return
    client = client or s3_client()
    for bucket in sorted({location.bucket for location in locations}):
        _check_bucket(client, bucket)
    needed = set(required)
    missing = [
        location
        for location in locations
        if location.dataset in needed
        and not _exists(client, location)
        and not (loads_when_missing and loads_when_missing(location.dataset))
    ]
    if missing:
        listing = ", ".join(f"{loc.dataset} ({loc.uri})" for loc in missing)
        raise S3PreflightError(
            f"input(s) missing in the bucket: {listing}; upload them or run the pipelines "
            "that produce them first"
        )
    logger.info(
        "S3 preflight passed: endpoint %s, bucket(s) %s",
        client.meta.endpoint_url,
        ", ".join(sorted({location.bucket for location in locations})),
    )
