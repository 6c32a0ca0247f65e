"""Bad S3 setups fail with a message that says which, and leave the bucket as it was."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.kedro_project import KedroProject
from tests.s3.helpers import output_tail, prepare_bucket, run_s3
from tests.s3_server import SeaweedS3, free_port_pairs

pytestmark = pytest.mark.e2e

BUCKET = "criptos-bad-cases"
NO_RAW_BUCKET = "criptos-no-raw"
# Stands for a version published earlier: no bad run may touch it.
PUBLISHED = {"models/latest/manifest.json": b'{"version": "20200101T000000Z"}'}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> KedroProject:
    return KedroProject.create(tmp_path_factory.mktemp("s3-bad-cases"))


@pytest.fixture(scope="module")
def buckets(seaweedfs: SeaweedS3, real_raw_csv: Path) -> None:
    prepare_bucket(seaweedfs, BUCKET, real_raw_csv)
    prepare_bucket(seaweedfs, NO_RAW_BUCKET, None)
    for bucket in (BUCKET, NO_RAW_BUCKET):
        for key, body in PUBLISHED.items():
            seaweedfs.client().put_object(Bucket=bucket, Key=key, Body=body)


def _unused_endpoint() -> str:
    return f"http://127.0.0.1:{free_port_pairs(1)[0]}"


@dataclass(frozen=True)
class BadCase:
    """One broken setup: the bucket named, AWS variables changed, the expected message."""

    name: str
    bucket: str
    env: dict[str, str] = field(default_factory=dict)
    message: str = ""


UNUSED_ENDPOINT = "<a localhost port nobody listens on>"
CASES = [
    BadCase(
        "unreachable endpoint",
        BUCKET,
        {"AWS_ENDPOINT_URL_S3": UNUSED_ENDPOINT},
        "is unreachable",
    ),
    BadCase(
        "wrong secret key",
        BUCKET,
        {"AWS_SECRET_ACCESS_KEY": "not-the-secret"},
        "rejected the credentials (SignatureDoesNotMatch",
    ),
    BadCase(
        "unknown access key",
        BUCKET,
        {"AWS_ACCESS_KEY_ID": "nobody"},
        "rejected the credentials (InvalidAccessKeyId",
    ),
    BadCase(
        "missing bucket",
        "criptos-nowhere",
        {},
        "bucket 'criptos-nowhere' does not exist",
    ),
    BadCase(
        "missing raw/raw.csv",
        NO_RAW_BUCKET,
        {},
        f"raw_candles (s3://{NO_RAW_BUCKET}/raw/raw.csv)",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_case_fails_clearly_and_leaves_the_bucket(
    seaweedfs: SeaweedS3, project: KedroProject, buckets: None, case: BadCase
) -> None:
    env = {
        key: _unused_endpoint() if value == UNUSED_ENDPOINT else value
        for key, value in case.env.items()
    }
    before = {name: seaweedfs.snapshot(name) for name in (BUCKET, NO_RAW_BUCKET)}

    result = run_s3(project, seaweedfs, bucket=case.bucket, env=env, timeout=180)

    assert result.returncode != 0, (
        f"{case.name}: the run succeeded\n{output_tail(result)}"
    )
    output = " ".join(
        (result.stdout + result.stderr).split()
    )  # however the console wrapped
    assert "S3PreflightError" in output, f"{case.name}\n{output_tail(result)}"
    assert case.message in output, f"{case.name}\n{output_tail(result)}"
    assert {
        name: seaweedfs.snapshot(name) for name in (BUCKET, NO_RAW_BUCKET)
    } == before
