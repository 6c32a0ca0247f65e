"""The last line of a raw file: found from its end, the stream left where it was."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from criptos.contracts.last_line import (
    last_line_if_unterminated,
    unterminated_last_line,
)


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"])
def test_a_file_ending_with_a_line_break_is_terminated(ending):
    assert unterminated_last_line(io.BytesIO(b"a|b" + ending + b"1|2" + ending)) is None


def test_the_unterminated_last_line_is_returned_and_the_position_kept():
    stream = io.BytesIO(b"a|b\n1|2\n3|")
    stream.seek(4)
    assert unterminated_last_line(stream) == b"3|"
    assert stream.tell() == 4


def test_a_last_line_longer_than_the_first_tail_read_is_whole():
    line = b"x" * 300_000  # several widenings of the 64 KiB tail
    assert unterminated_last_line(io.BytesIO(b"a\n" + line)) == line
    assert unterminated_last_line(io.BytesIO(line)) == line


def test_an_empty_or_unseekable_stream_counts_as_terminated():
    class Pipe(io.RawIOBase):
        def seekable(self) -> bool:
            return False

    assert unterminated_last_line(io.BytesIO(b"")) is None
    assert unterminated_last_line(Pipe()) is None


def test_a_local_path_is_opened_for_it(tmp_path: Path):
    path = tmp_path / "raw.csv"
    path.write_bytes(b"a|b\n1|2")
    assert last_line_if_unterminated(path) == b"1|2"
    path.write_bytes(b"a|b\n1|2\n")
    assert last_line_if_unterminated(path) is None
