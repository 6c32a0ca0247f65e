"""Kedro telemetry cannot send anything, whichever way the project is started."""

from __future__ import annotations

import importlib.metadata
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from kedro_telemetry.plugin import _check_for_telemetry_consent

from criptos.config.telemetry import DISABLE_VARIABLE, disable_telemetry
from tests.kedro_project import PROJECT_ROOT

# Variables that opt out of telemetry by themselves: the tests run without them, as
# a user's shell would.
OPT_OUT_VARIABLES = (
    "KEDRO_DISABLE_TELEMETRY",
    "DO_NOT_TRACK",
    "GITHUB_REPOSITORY_OWNER",
)


class RecordingProxy:
    """A local HTTP(S) proxy that only counts connections: any request to Heap
    made through ``HTTPS_PROXY`` reaches it, and none leaves the machine."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.2)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._server.close()


@pytest.fixture
def proxy() -> Iterator[RecordingProxy]:
    recording = RecordingProxy()
    try:
        yield recording
    finally:
        recording.close()


def kedro_outside_the_project(
    folder: Path, proxy: RecordingProxy, *args: str
) -> subprocess.CompletedProcess[str]:
    """``kedro <args>`` started in ``folder`` (no project there or above), with no
    opt-out variable, every request routed to ``proxy``."""
    env = {k: v for k, v in os.environ.items() if k not in OPT_OUT_VARIABLES}
    env.update(
        HTTPS_PROXY=proxy.url,
        HTTP_PROXY=proxy.url,
        https_proxy=proxy.url,
        http_proxy=proxy.url,
        NO_PROXY="",
        no_proxy="",
        XDG_CONFIG_HOME=str(folder / "config"),  # where telemetry keeps its user id
    )
    return subprocess.run(
        [sys.executable, "-m", "kedro", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_project_folder_denies_consent(monkeypatch):
    for name in OPT_OUT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    # kedro run inside the project, the API and the notebooks ask this.
    assert _check_for_telemetry_consent(PROJECT_ROOT) is False


def test_the_package_turns_telemetry_off_at_every_kedro_start():
    init_hooks = [
        entry.load() for entry in importlib.metadata.entry_points(group="kedro.init")
    ]
    assert disable_telemetry in init_hooks, (
        "criptos.config.telemetry:disable_telemetry is not a kedro.init entry point "
        "(pyproject [project.entry-points.'kedro.init']; reinstall with pip install -e .)"
    )


def test_disable_telemetry_sets_the_opt_out_variable(monkeypatch):
    monkeypatch.delenv(DISABLE_VARIABLE, raising=False)
    disable_telemetry()
    assert _check_for_telemetry_consent(None) is False


@pytest.mark.e2e
@pytest.mark.parametrize("command", [("--help",), ("info",)])
def test_kedro_outside_the_project_sends_nothing(tmp_path, proxy, command):
    result = kedro_outside_the_project(tmp_path, proxy, *command)
    assert result.returncode == 0, result.stderr
    assert proxy.connections == 0, "kedro tried to reach the network (telemetry)"
    assert "heap" not in (result.stdout + result.stderr).lower()
