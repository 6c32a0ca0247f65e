"""Progress bars: drawn at a terminal only; elsewhere the loop is unchanged and silent."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import textwrap

from rich.console import Console

from criptos.logs.progress import shows_progress, track


def test_without_a_terminal_the_items_pass_through_and_nothing_is_written(capfd):
    items = [3, 1, 2]
    assert not shows_progress()  # pytest captures the output: a pipe, not a terminal
    assert list(track(iter(items), total=3, description="windows")) == items
    assert list(track(items, description="windows")) == items
    out, err = capfd.readouterr()
    assert out == err == ""


def test_a_console_writing_to_a_file_shows_no_bar_even_with_force_color(monkeypatch):
    monkeypatch.setenv(
        "FORCE_COLOR", "1"
    )  # rich then colours it, yet it is no terminal
    monkeypatch.delenv("CI", raising=False)
    stream = io.StringIO()
    console = Console(file=stream)
    assert not shows_progress(console)
    assert list(track(range(4), description="batches", console=console)) == [0, 1, 2, 3]
    assert stream.getvalue() == ""


def test_an_early_stop_closes_the_loop():
    consumed = track(range(10), description="windows")
    assert next(consumed) == 0
    consumed.close()


SCRIPT = textwrap.dedent(
    """
    from criptos.logs.progress import shows_progress, track
    print("interactive", shows_progress(), flush=True)
    print("items", list(track(range(5), description="walk-forward windows")), flush=True)
    """
)


def run_in_a_terminal(env: dict[str, str]) -> str:
    """Run SCRIPT with its output on a pseudo-terminal; everything it wrote."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
    )
    os.close(terminal)
    chunks = []
    while True:
        ready, _, _ = select.select([controller], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=30)
    os.close(controller)
    return b"".join(chunks).decode(errors="replace")


def terminal_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "FORCE_COLOR")}
    env.update(TERM="xterm-256color", COLUMNS="100", **extra)
    return env


def test_at_a_terminal_the_bar_is_drawn():
    output = run_in_a_terminal(terminal_env())
    assert "interactive True" in output
    assert "walk-forward windows" in output
    assert "5/5" in output
    assert "items [0, 1, 2, 3, 4]" in output


def test_in_ci_no_bar_even_at_a_terminal():
    output = run_in_a_terminal(terminal_env(CI="true"))
    assert "interactive False" in output
    assert "walk-forward windows" not in output
    assert "items [0, 1, 2, 3, 4]" in output
