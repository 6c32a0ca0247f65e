"""A file whose last line has no line break: that row is quarantined as incomplete."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from criptos.contracts.raw_file import read_raw_candles, unterminated_last_line
from criptos.validation import validate_candles
from tests.raw_files import GOOD_ROWS, HEADER

CUT_SHORT = "XRP|2021-01-01|1609459200|2|1|1.5|1.6|1|10"  # "...|1|1000" cut short


def _unterminated(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


@pytest.fixture(params=["stream", "path"])
def read_bytes(request: pytest.FixtureRequest, tmp_path: Path):
    def read(content: bytes) -> pd.DataFrame:
        if request.param == "stream":
            return read_raw_candles(io.BytesIO(content))
        path = tmp_path / "raw.csv"
        path.write_bytes(content)
        return read_raw_candles(path)

    return read


@pytest.mark.parametrize(
    "last",
    [CUT_SHORT, "XRP|2021-01-01|16094", "XRP|2021-01-01|1609459200|2|1|abc|1.6|1|1"],
)
def test_an_unterminated_last_line_is_quarantined_as_incomplete(read_bytes, last: str):
    """Well-formed, malformed (cut inside an earlier field) or with text numbers."""
    result = validate_candles(
        read_bytes(_unterminated(*GOOD_ROWS, last)), max_quarantine_share=1.0
    )
    assert result.quarantine["motivo"].tolist() == ["linha_incompleta"]
    assert len(result.candles) == len(GOOD_ROWS)
    assert result.report["unterminated_last_line"] is True
    assert (
        "does not end with a line break"
        in result.report["warnings"]["unterminated_last_line"]
    )
    assert (
        "quarantined as linha_incompleta"
        in result.report["warnings"]["unterminated_last_line"]
    )


def test_an_unterminated_last_line_among_malformed_lines_is_the_last_one(read_bytes):
    rows = [*GOOD_ROWS, "XRP|oops", "ETH|2021-01-03|1609632000|1"]
    result = validate_candles(
        read_bytes(_unterminated(*rows)), max_quarantine_share=1.0
    )
    reasons = dict(
        zip(
            result.quarantine["linha_malformada"],
            result.quarantine["motivo"],
            strict=True,
        )
    )
    assert reasons == {
        "XRP|oops": "linha_malformada",
        "ETH|2021-01-03|1609632000|1": "linha_incompleta",
    }


def test_an_unterminated_last_line_repeating_a_row_is_not_a_silent_duplicate(
    read_bytes,
):
    result = validate_candles(
        read_bytes(_unterminated(*GOOD_ROWS, GOOD_ROWS[0])), max_quarantine_share=1.0
    )
    assert result.quarantine["motivo"].tolist() == ["linha_incompleta"]
    assert result.report["exact_duplicates_removed"] == 0


def test_an_unterminated_last_line_is_kept_when_accepted(read_bytes):
    result = validate_candles(
        read_bytes(_unterminated(*GOOD_ROWS, CUT_SHORT)),
        max_quarantine_share=0.0,
        accept_unterminated_last_line=True,
    )
    assert result.report["rows_quarantined"] == 0
    assert len(result.candles) == len(GOOD_ROWS) + 1
    assert result.report["unterminated_last_line"] is True
    assert (
        "accept_unterminated_last_line is true"
        in result.report["warnings"]["unterminated_last_line"]
    )


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_a_terminated_file_has_no_incomplete_line(read_bytes, ending: str):
    content = (ending.join([HEADER, *GOOD_ROWS]) + ending).encode()
    result = validate_candles(read_bytes(content), max_quarantine_share=0.0)
    assert result.report["unterminated_last_line"] is False
    assert "unterminated_last_line" not in result.report["warnings"]


class _CountingStream(io.BytesIO):
    """Counts the bytes handed out by ``read``."""

    bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_detecting_an_unterminated_line_reads_only_the_end_of_the_file():
    body = ("\n".join([HEADER, *GOOD_ROWS * 20_000, CUT_SHORT])).encode()
    stream = _CountingStream(body)
    stream.seek(100)
    assert unterminated_last_line(stream) == CUT_SHORT.encode()
    assert stream.tell() == 100  # put back
    assert stream.bytes_read <= 64 * 1024 + 1
    assert unterminated_last_line(_CountingStream(body + b"\n")) is None


def test_a_stream_that_cannot_seek_is_taken_as_terminated():
    class _Pipe(io.BytesIO):
        def seekable(self) -> bool:
            return False

    assert unterminated_last_line(_Pipe(_unterminated(*GOOD_ROWS))) is None
