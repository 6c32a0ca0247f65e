"""Render a page in real headless Chromium and read the DOM after its JavaScript ran.

Debian's Chromium (``/usr/bin/chromium``) is installed with apt on first use, so the
same code works here and in CI, which reach package registries and nothing else.

Why the flags of ``dump_dom``:

* ``--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1``: every host but
  127.0.0.1 fails to resolve at once, so the network is off for the page. A page
  that still needs a CDN renders incomplete and its test fails, here and in CI
  alike, instead of passing wherever the CDN happens to be reachable.
* ``--disable-background-networking``, ``--disable-component-update``,
  ``--disable-sync``, ``--disable-extensions``, ``--no-first-run``,
  ``--disable-quic``: Chromium's own connections (component and safe-browsing
  updates, variations, sync, first-run pages, QUIC probes) are refused by the
  closed network here; turning them off keeps every run quiet and bounded by
  the page itself.
* ``--user-data-dir`` in a fresh temporary folder: no profile, cache or
  service worker is shared between runs or with a user's browser.
* ``--headless --no-sandbox --disable-gpu``: no display, root user (the
  sandbox refuses to start as root) and no GPU in containers;
  ``--disable-dev-shm-usage`` because a container's ``/dev/shm`` is often 64 MB.
* ``--virtual-time-budget``: ``--dump-dom`` alone prints the DOM at the load
  event, before Swagger UI or ReDoc fetched ``/openapi.json``. With a budget,
  Chromium fast-forwards timers and pauses its virtual clock while fetches are
  pending, and dumps once the budget is spent: a 5 s ``setTimeout`` and a
  fetch answered after 10 s both show in the dump. A budget of 0 never ends, and
  a fetch that never answers pauses the clock forever: the wall timeout of the
  subprocess bounds both.
"""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
APT_TIMEOUT_S = 900
# Chromium's start and shutdown on top of the virtual time budget (a loaded CI box).
STARTUP_ALLOWANCE_S = 60
OUTPUT_TAIL_CHARS = 3000
INSTALL_LOCK = Path(tempfile.gettempdir()) / "criptos-chromium-install.lock"
# Chromium's own "This site can't be reached" page, dumped with exit status 0.
NET_ERROR_PAGE = re.compile(r'<body class="neterror"')
NET_ERROR_CODE = re.compile(r'class="error-code">(?:<!--[^>]*-->)?(ERR_[A-Z_]+)<')


def _tail(text: str) -> str:
    return text[-OUTPUT_TAIL_CHARS:]


def _apt_get(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["apt-get", *arguments],
        capture_output=True,
        text=True,
        timeout=APT_TIMEOUT_S,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        check=False,
    )


def _install_chromium() -> str:
    """Install with apt, refreshing the package lists once if the first try fails."""
    install = ("install", "-y", "--no-install-recommends", "chromium")
    attempts = [_apt_get(*install)]
    if attempts[-1].returncode != 0:
        attempts.append(_apt_get("update"))
        attempts.append(_apt_get(*install))
    return "\n".join(
        f"$ {' '.join(attempt.args)}  (exit {attempt.returncode})\n"
        f"{_tail(attempt.stdout + attempt.stderr)}"
        for attempt in attempts
    )


def ensure_chromium() -> str:
    """Path of Debian's Chromium, installed with apt if absent (needs root)."""
    if CHROMIUM.exists():
        return str(CHROMIUM)
    # Parallel test workers would otherwise fight over apt's own lock.
    with INSTALL_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if CHROMIUM.exists():
            return str(CHROMIUM)
        try:
            apt_output = _install_chromium()
        except (OSError, subprocess.TimeoutExpired) as error:
            raise RuntimeError(
                f"could not run apt-get to install chromium: {error}"
            ) from error
    if not CHROMIUM.exists():
        raise RuntimeError(
            f"{CHROMIUM} is still missing after installing chromium with apt:\n"
            f"{apt_output}"
        )
    return str(CHROMIUM)


def chromium_command(
    chromium: str, url: str, user_data_dir: str, timeout_ms: int
) -> list[str]:
    """The command line of one offline ``--dump-dom`` run (module docstring: why)."""
    return [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        f"--user-data-dir={user_data_dir}",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        f"--virtual-time-budget={timeout_ms}",
        "--dump-dom",
        url,
    ]


def dump_dom(url: str, timeout_ms: int = 20000) -> str:
    """The DOM of ``url`` once its scripts had ``timeout_ms`` of virtual time to run.

    Only 127.0.0.1 is reachable. Raises RuntimeError with Chromium's stderr tail if
    it fails, prints nothing, or outlives the budget plus a start-up allowance, and
    with the network error if ``url`` itself could not be loaded.
    """
    if timeout_ms < 1:
        raise ValueError(f"timeout_ms must be positive, got {timeout_ms}")
    chromium = ensure_chromium()
    wall_timeout = timeout_ms / 1000 + STARTUP_ALLOWANCE_S
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        command = chromium_command(chromium, url, profile, timeout_ms)
        started = time.monotonic()
        try:
            run = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=wall_timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            stderr = error.stderr or b""
            if isinstance(stderr, bytes):
                stderr = stderr.decode(errors="replace")
            raise RuntimeError(
                f"chromium did not finish {url} within {wall_timeout:.0f} s:\n"
                f"{_tail(stderr)}"
            ) from error
    if run.returncode != 0 or not run.stdout.strip():
        raise RuntimeError(
            f"chromium exited with {run.returncode} after "
            f"{time.monotonic() - started:.1f} s on {url}, "
            f"{len(run.stdout)} characters of DOM:\n{_tail(run.stderr)}"
        )
    if NET_ERROR_PAGE.search(run.stdout):
        code = NET_ERROR_CODE.search(run.stdout)
        raise RuntimeError(
            f"chromium could not load {url}: "
            f"{code.group(1) if code else 'its network error page'}"
        )
    return run.stdout
