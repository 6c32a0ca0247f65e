"""Start ``python -m criptos.api`` in a subprocess on a free local port, as a user does.

Shared by the end-to-end tests and ``benchmarks/api_benchmark.py``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

LOCALHOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOCALHOST, 0))
        return int(probe.getsockname()[1])


def get_json(url: str, timeout: float = 5.0) -> tuple[int, Any]:
    """Status and decoded JSON body of a GET (error statuses included, no exception)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@dataclass
class ApiServer:
    """One service process; use as a context manager (stops and kills it on exit)."""

    log_file: Path
    project_path: Path | None = None
    conf_source: Path | None = None
    env: str | None = None
    poll_interval: float = 0.5
    extra_env: dict[str, str] = field(default_factory=dict)
    extra_args: list[str] = field(default_factory=list)
    cwd: Path | None = None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    _log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    def command(self) -> list[str]:
        """The command line; options left at None are not passed."""
        options = {
            "--host": LOCALHOST,
            "--port": str(self.port),
            "--poll-interval": str(self.poll_interval),
            "--log-level": "warning",
            "--project-path": self.project_path,
            "--conf-source": self.conf_source,
            "--env": self.env,
        }
        command = [sys.executable, "-m", "criptos.api", "--no-access-log"]
        for option, value in options.items():
            if value is not None:
                command += [option, str(value)]
        return command + self.extra_args

    def start(self) -> ApiServer:
        environment = {
            **os.environ,
            "KEDRO_DISABLE_TELEMETRY": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        environment.update(self.extra_env)
        self._log = self.log_file.open("wb")
        self.process = subprocess.Popen(
            self.command(),
            cwd=self.cwd or self.log_file.parent,
            env=environment,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self

    def log(self) -> str:
        return (
            self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
        )

    def wait_ready(self, timeout: float = 60.0) -> dict[str, Any]:
        """Poll /ready until 200; raise with the server log if it dies or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.process.returncode}:\n{self.log()}"
                )
            try:
                status, body = get_json(f"{self.url}/ready", timeout=2)
                if status == 200:
                    return body
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        raise TimeoutError(f"server not ready within {timeout} s:\n{self.log()}")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not stop within 10 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
