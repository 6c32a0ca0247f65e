"""Whether a raw file ends with a line break, read from its last bytes only.

A file whose last line has no line break after it may have been cut short by an
interrupted download. ``unterminated_last_line`` returns that line (or ``None``)
by seeking to the end of the file, never reading it twice; the reader
(``criptos.contracts.raw_file``) then marks the frame row the line became, and row
validation quarantines it as ``linha_incompleta``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

_LINE_ENDS = (b"\n", b"\r")
# The first tail read; it widens (x4) until it holds the last line break.
_TAIL_PROBE_BYTES = 64 * 1024


def unterminated_last_line(stream: BinaryIO) -> bytes | None:
    """The last line of a seekable binary stream if no line break ends it, else None.

    Reads only the end of the file (from its last line break on) and puts the stream
    back where it was. A stream that cannot seek is taken as terminated.
    """
    if not _seekable(stream):
        return None
    position = stream.tell()
    try:
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        if size == 0:
            return None
        stream.seek(size - 1)
        if stream.read(1) in _LINE_ENDS:
            return None
        probe = _TAIL_PROBE_BYTES
        while True:  # widen the tail until it holds the last line break
            start = max(0, size - probe)
            stream.seek(start)
            tail = stream.read(size - start)
            cut = max(tail.rfind(b"\n"), tail.rfind(b"\r"))
            if cut >= 0 or start == 0:
                return tail[cut + 1 :]
            probe *= 4
    finally:
        stream.seek(position)


def _seekable(stream: BinaryIO) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def last_line_if_unterminated(data: BinaryIO | Path) -> bytes | None:
    """``unterminated_last_line`` of a stream or of a local file (opened for it)."""
    if isinstance(data, Path):
        with data.open("rb") as stream:
            return unterminated_last_line(stream)
    return unterminated_last_line(data)
