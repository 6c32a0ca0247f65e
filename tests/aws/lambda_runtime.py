"""The AWS Lambda Runtime API, served on a local port: what a function's runtime talks to.

Lambda runs a container image by starting its entry point with
``AWS_LAMBDA_RUNTIME_API=host:port`` and answering the runtime's HTTP calls
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):

- ``GET /2018-06-01/runtime/invocation/next`` blocks until there is an event and
  returns it as the body, with the headers ``Lambda-Runtime-Aws-Request-Id``,
  ``Lambda-Runtime-Deadline-Ms``, ``Lambda-Runtime-Invoked-Function-Arn`` and
  ``Lambda-Runtime-Trace-Id``;
- ``POST .../invocation/{id}/response`` and ``.../invocation/{id}/error`` (a JSON
  ``errorMessage``/``errorType``/``stackTrace``) finish that invocation: 202;
- ``POST /2018-06-01/runtime/init/error``: the function could not even start.

``LambdaRuntimeAPI.invoke(event, timeout)`` queues one event and waits for its
outcome, ``(True, result)`` or ``(False, error)``, the way ``aws lambda invoke``
would see it. The tests run the image's ``awslambdaric`` against it: the same
client, the same HTTP calls as on Lambda.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"
ACCOUNT = "123456789012"
REGION = "us-east-1"


@dataclass
class Invocation:
    """One queued event and, once the runtime posts it, its outcome."""

    request_id: str
    event: Any
    deadline_ms: int
    done: threading.Event = field(default_factory=threading.Event)
    ok: bool | None = None
    payload: Any = None
    error_type: str | None = None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: the tests report what matters."""

    def _reply(
        self, status: HTTPStatus, body: Any, headers: dict | None = None
    ) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode(errors="replace")

    def do_GET(self) -> None:
        if self.path != f"{PREFIX}/invocation/next":
            self._reply(HTTPStatus.NOT_FOUND, {"errorMessage": f"no route {self.path}"})
            return
        invocation = self.server.api.next_invocation()
        if invocation is None:  # stopping: like Lambda freezing the sandbox, no answer
            self.close_connection = True
            return
        api = self.server.api
        body = json.dumps(invocation.event).encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Lambda-Runtime-Aws-Request-Id", invocation.request_id)
        self.send_header("Lambda-Runtime-Deadline-Ms", str(invocation.deadline_ms))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", api.function_arn)
        self.send_header(
            "Lambda-Runtime-Trace-Id",
            f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0",
        )
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        parts = self.path.removeprefix(PREFIX).strip("/").split("/")
        body = self._body()
        error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
        if parts == ["init", "error"]:
            self.server.api.record_init_error(body, error_type)
            self._reply(HTTPStatus.ACCEPTED, {"status": "OK"})
            return
        if (
            len(parts) == 3
            and parts[0] == "invocation"
            and parts[2]
            in {
                "response",
                "error",
            }
        ):
            if self.server.api.finish(
                parts[1], parts[2] == "response", body, error_type
            ):
                self._reply(HTTPStatus.ACCEPTED, {"status": "OK"})
            else:
                self._reply(
                    HTTPStatus.BAD_REQUEST,
                    {
                        "errorMessage": f"unknown request id {parts[1]}",
                        "errorType": "InvalidRequestID",
                    },
                )
            return
        self._reply(HTTPStatus.NOT_FOUND, {"errorMessage": f"no route {self.path}"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    api: LambdaRuntimeAPI


class LambdaRuntimeAPI:
    """A Runtime API on ``127.0.0.1`` (free port) for one function; ``address`` is
    what ``AWS_LAMBDA_RUNTIME_API`` holds."""

    def __init__(self, function_name: str = "criptos") -> None:
        self.function_arn = (
            f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"
        )
        self._pending: queue.Queue[Invocation] = queue.Queue()
        self._invocations: dict[str, Invocation] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.init_error: dict | None = None
        self.init_error_type: str | None = None
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.api = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def __enter__(self) -> LambdaRuntimeAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Release any waiting ``next`` call and close the port."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    # --- the runtime's side
    def next_invocation(self) -> Invocation | None:
        while not self._stopping.is_set():
            try:
                return self._pending.get(timeout=0.5)
            except queue.Empty:
                continue
        return None

    def finish(
        self, request_id: str, ok: bool, payload: Any, error_type: str | None
    ) -> bool:
        with self._lock:
            invocation = self._invocations.get(request_id)
            if invocation is None or invocation.done.is_set():
                return False
            invocation.ok, invocation.payload = ok, payload
            invocation.error_type = error_type
            invocation.done.set()
        return True

    def record_init_error(self, payload: Any, error_type: str | None) -> None:
        self.init_error, self.init_error_type = payload, error_type

    # --- the caller's side
    def invoke(
        self,
        event: Any,
        timeout: float = 900.0,
        is_running: Callable[[], bool] | None = None,
    ) -> tuple[bool, Any]:
        """Queue ``event``, wait for the runtime's answer: ``(True, result)`` or
        ``(False, error)``. An init error answers at once; a runtime that stops
        (``is_running`` false) or takes longer than ``timeout`` is an error here."""
        request_id = str(uuid.uuid4())
        deadline = time.monotonic() + timeout
        invocation = Invocation(
            request_id, event, deadline_ms=int((time.time() + timeout) * 1000)
        )
        with self._lock:
            self._invocations[request_id] = invocation
        self._pending.put(invocation)
        while not invocation.done.wait(timeout=1.0):
            if self.init_error is not None:
                return False, self.init_error
            if is_running is not None and not is_running():
                raise RuntimeError(f"the function's runtime exited during {request_id}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer to {request_id} within {timeout:.0f} s")
        return bool(invocation.ok), invocation.payload
