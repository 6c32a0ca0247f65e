"""A Lambda function from the image: one handler's container on its own Runtime API.

``start_function`` runs the image the way Lambda runs a function's sandbox: the
handler as the command, ``AWS_LAMBDA_RUNTIME_API`` and the function's variables in
the environment, a user that is not the image's (Lambda's sandbox user), a
read-only root with /tmp writable. The container keeps polling for events, so
later invocations are warm ones.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.aws import podman
from tests.aws.lambda_runtime import LambdaRuntimeAPI

# Lambda's sandbox user: not the image's user, and not in its /etc/passwd.
LAMBDA_USER = "993:990"


@dataclass
class LambdaFunction:
    """One handler's container, polling its own Runtime API like on Lambda."""

    handler: str
    api: LambdaRuntimeAPI
    process: subprocess.Popen
    name: str
    log: Path

    def invoke(self, payload: Any, timeout: float = 600) -> tuple[bool, Any]:
        """``(True, result)`` or ``(False, error)``; a dead or silent runtime fails
        the test with the container's log."""
        try:
            return self.api.invoke(
                payload, timeout, is_running=lambda: self.process.poll() is None
            )
        except (RuntimeError, TimeoutError) as error:
            raise AssertionError(f"{error}\n{self.logs()}") from error

    def logs(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        """Wait for the ``podman run`` to end (after ``podman.remove_containers``)."""
        try:
            self.process.wait(timeout=30)
        finally:
            self.api.stop()


def start_function(
    image: str,
    handler: str,
    env: dict[str, str],
    log_dir: Path,
    *,
    name: str,
    lambda_word: bool = False,
) -> LambdaFunction:
    """Start ``criptos.aws.handlers.<handler>`` from ``image`` (``lambda HANDLER``
    when ``lambda_word``: the entry point's other form)."""
    api = LambdaRuntimeAPI(f"criptos-{handler}").__enter__()
    environment = {
        **env,
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "AWS_LAMBDA_FUNCTION_NAME": f"criptos-{handler}",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "3008",
    }
    path = f"criptos.aws.handlers.{handler}"
    command = ["lambda", path] if lambda_word else [path]
    log = log_dir / f"{handler}.log"
    arguments = podman.run_args(
        image, command, env=environment, name=name, user=LAMBDA_USER
    )
    with log.open("wb") as sink:
        process = subprocess.Popen(
            podman.podman_command(*arguments),
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return LambdaFunction(handler, api, process, name, log)
