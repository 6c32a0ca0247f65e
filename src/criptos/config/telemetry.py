"""Kedro's usage telemetry, off for every ``kedro`` command of this installation.

``kedro-telemetry`` is a dependency of Kedro itself, so it is always installed. It
asks for consent only inside a project folder (the ``.telemetry`` file at the project
root says ``consent: false``, which covers ``kedro run`` there, the API and the
notebooks); a ``kedro`` command run anywhere else would send a usage event to Heap.
``disable_telemetry`` is registered as a ``kedro.init`` entry point of the package,
which the ``kedro`` CLI runs first on every start, wherever it starts, so the
plugin sees ``KEDRO_DISABLE_TELEMETRY`` and sends nothing.
"""

from __future__ import annotations

import os

DISABLE_VARIABLE = "KEDRO_DISABLE_TELEMETRY"


def disable_telemetry() -> None:
    """Tell ``kedro-telemetry`` (and any process this one starts) to send nothing."""
    os.environ[DISABLE_VARIABLE] = "1"
