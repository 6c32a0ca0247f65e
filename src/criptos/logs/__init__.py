"""What a run shows a person: progress bars of long loops, only at a terminal.

``progress.track`` wraps a loop in a rich progress bar when the console Kedro logs to
is a terminal, and is a plain pass-through in logs, pipes, notebooks and CI. The
per-node log line lives in ``criptos.hooks.NodeLogHook``; logger levels in
``conf/logging.yml``.
"""

from criptos.logs.progress import shows_progress, track

__all__ = ["shows_progress", "track"]
