"""The container image, built and run with podman against SeaweedFS on the host.

The image is built once per session on a Debian base made locally
(tests/aws/podman.py, the ``criptos_image`` fixture) and every container runs the
way Lambda runs one: root file system read-only, only /tmp writable, the host's
network (SeaweedFS listens on 127.0.0.1). Here: what the image is, ``kedro run
--env s3`` of the default pipelines inside it (features, artifacts, a model
version and latest appear in the bucket) and the API (the default command)
answering ``GET /predict`` over real HTTP. The Lambda handlers inside it:
test_image_lambda.py.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.aws import podman
from tests.s3.helpers import RUN_DATE, prepare_bucket
from tests.s3_server import SeaweedS3

pytestmark = [pytest.mark.container, pytest.mark.slow, pytest.mark.e2e]

KEDRO_BUCKET = "criptos-image"
MAX_IMAGE_BYTES = 1_100_000_000  # 0.9 GB today: growth past this is a regression


def run(
    image: podman.Build, *command: str, **options: Any
) -> subprocess.CompletedProcess:
    """A one-off container of ``image`` (read-only root, host network)."""
    timeout = options.pop("timeout", 600)
    return podman.podman(
        *podman.run_args(image.image, list(command), **options),
        check=False,
        timeout=timeout,
    )


def output(result: subprocess.CompletedProcess, chars: int = 4000) -> str:
    return (
        f"exit {result.returncode}\n{result.stdout[-chars:]}\n{result.stderr[-chars:]}"
    )


def manifest(server: SeaweedS3, bucket: str, key: str = "models/latest/manifest.json"):
    body = server.client().get_object(Bucket=bucket, Key=key)["Body"].read()
    return json.loads(body)


def test_the_image_is_small_enough_and_starts_as_documented(
    criptos_image: podman.Build, record_property: Callable[[str, object], None]
) -> None:
    record_property("image_size_bytes", criptos_image.size)
    assert 0 < criptos_image.size < MAX_IMAGE_BYTES, (
        f"{criptos_image.size / 1e6:.0f} MB"
    )
    config = json.loads(podman.podman("image", "inspect", criptos_image.image).stdout)[
        0
    ]
    config = config["Config"]
    assert config["Entrypoint"] == ["/usr/local/bin/criptos-entrypoint"]
    assert config["Cmd"] == ["api"]
    assert config["WorkingDir"] == "/app"
    assert config["User"] == "10001:10001"


def test_it_runs_as_a_non_root_user_on_the_base_python_with_a_read_only_root(
    criptos_image: podman.Build,
) -> None:
    script = (
        "id -u; python -c 'import sys; print(sys.version_info[:2] == (3, 11))'; "
        "readlink -f /opt/criptos/bin/python; readlink -f /usr/bin/python3; "
        "touch /tmp/ok && echo tmp-writable; "
        "touch /app/x 2>/dev/null || echo root-read-only; "
        "ls /app/conf/local | wc -l"
    )
    result = run(criptos_image, "sh", "-c", script)
    assert result.returncode == 0, output(result)
    uid, version, venv_python, base_python, tmp, root, local = result.stdout.split()
    assert uid == "10001"
    assert version == "True"
    assert venv_python == base_python  # the venv runs on the base image's python3
    assert (tmp, root) == ("tmp-writable", "root-read-only")
    assert local == "0"  # no local configuration or secrets in the image


def test_the_entrypoint_names_its_usage_for_a_lambda_without_a_handler(
    criptos_image: podman.Build,
) -> None:
    result = run(criptos_image, "lambda")
    assert result.returncode == 64
    assert "usage: criptos-entrypoint lambda HANDLER" in result.stderr


@pytest.fixture(scope="module")
def kedro_run(
    criptos_image: podman.Build, seaweedfs: SeaweedS3, real_raw_csv: Path
) -> subprocess.CompletedProcess:
    """``kedro run --env s3`` of the default pipelines inside the image."""
    prepare_bucket(seaweedfs, KEDRO_BUCKET, real_raw_csv)
    return run(
        criptos_image,
        "kedro",
        "run",
        "--env",
        "s3",
        "--params",
        f"bucket={KEDRO_BUCKET},run_date={RUN_DATE}",
        env=seaweedfs.aws_environment(),
        timeout=900,
    )


def test_kedro_run_in_the_image_fills_the_bucket(
    kedro_run: subprocess.CompletedProcess, seaweedfs: SeaweedS3
) -> None:
    assert kedro_run.returncode == 0, output(kedro_run)
    keys = set(seaweedfs.list_keys(KEDRO_BUCKET))
    assert f"features/cripto_features_{RUN_DATE}.parquet" in keys
    assert "features/cripto_features_latest.parquet" in keys
    assert any(key.startswith("artifacts/") for key in keys)
    version = manifest(seaweedfs, KEDRO_BUCKET)["version"]
    assert {
        f"models/{version}/manifest.json",
        f"models/{version}/regressor_rf.joblib",
        "models/latest/manifest.json",
        "models/latest/regressor_rf.joblib",
    } <= keys


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, timeout: float = 10) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_the_api_container_answers_predict_over_http(
    criptos_image: podman.Build,
    kedro_run: subprocess.CompletedProcess,
    seaweedfs: SeaweedS3,
) -> None:
    assert kedro_run.returncode == 0, output(kedro_run)
    port, name = free_port(), f"criptos-api-{free_port()}"
    env = seaweedfs.aws_environment(
        PORT=str(port),
        KEDRO_ENV="s3",
        CRIPTOS_API_PARAMS=json.dumps({"bucket": KEDRO_BUCKET}),
    )
    podman.podman(
        *podman.run_args(criptos_image.image, env=env, name=name, detach=True)
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline:
            try:
                status, body = get(f"{base}/predict?ativo=BTC")
            except OSError:  # not listening yet
                status = None
            if status == 200:
                break
            time.sleep(1)
        logs = podman.podman("logs", name, check=False).stderr[-3000:]
        assert status == 200, f"last status {status}\n{logs}"
        assert body["ativo"] == "BTC"
        assert body["model_version"] == manifest(seaweedfs, KEDRO_BUCKET)["version"]
    finally:
        podman.remove_containers(name)
