"""What of a manifest may reach a client: everything except where files live.

The manifest records paths for operators (e.g. ``features_file``, which may be an
absolute local path or an ``s3://`` URI). Clients get only the last component of
any string that looks like a path, never a directory, bucket or host name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_SEPARATORS = re.compile(r"[\\/]")


def without_paths(value: Any) -> Any:
    """A JSON-ready copy of ``value`` where every path-like string keeps its last part."""
    if isinstance(value, Mapping):
        return {str(key): without_paths(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [without_paths(item) for item in value]
    if isinstance(value, str) and _SEPARATORS.search(value):
        parts = [part for part in _SEPARATORS.split(value) if part]
        return parts[-1] if parts else ""
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)
