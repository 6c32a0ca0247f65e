"""File-level rules of the raw candle file."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from criptos.datasets import RawCandlesDataset
from criptos.raw_contract import (
    MALFORMED_LINE_COLUMN,
    RAW_COLUMNS,
    RawFileError,
    read_raw_candles,
)
from tests.raw_files import GOOD_ROWS, HEADER, write_raw


@pytest.fixture(params=["stream", "path"])
def read(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Callable[[bytes], pd.DataFrame]:
    """Read raw bytes as a binary stream (object stores) or by local path (Arrow's own reader)."""

    def read_content(content: bytes) -> pd.DataFrame:
        if request.param == "stream":
            return read_raw_candles(io.BytesIO(content), source="raw.csv")
        path = tmp_path / "raw.csv"
        path.write_bytes(content)
        return read_raw_candles(path, source="raw.csv")

    return read_content


def test_reads_columns_in_contract_order_with_numbers_parsed(tmp_path: Path):
    frame = RawCandlesDataset(
        filepath=str(
            write_raw(tmp_path / "raw.csv", [*GOOD_ROWS, "NA|2021-01-09|1||1|1|1|1|1"])
        )
    ).load()
    assert list(frame.columns) == [*RAW_COLUMNS, MALFORMED_LINE_COLUMN]
    assert len(frame) == len(GOOD_ROWS) + 1
    assert frame.loc[0, "fechamento"] == 105.0  # every number parses: read as float64
    assert frame.loc[0, "data"] == "2021-01-01"
    assert np.isnan(frame["maximo"].iloc[-1])  # empty cell: missing
    assert pd.isna(frame["ativo"].iloc[-1])  # Arrow's null tokens in text columns
    assert frame[MALFORMED_LINE_COLUMN].isna().all()


@pytest.mark.parametrize(
    ("cell", "text"), [("abc", "abc"), ("NaN", None), ("inf", "inf"), ("NA", None)]
)
def test_a_cell_that_is_not_a_finite_number_keeps_every_column_text(
    read, cell: str, text: str | None
):
    """So that validation can tell a missing value from one that is not a number
    (Arrow's null tokens such as NA and NaN are missing, as they always were)."""
    rows = [HEADER, *GOOD_ROWS, f"BTC|2021-01-09|1|{cell}|1|1|1|1|1"]
    frame = read(("\n".join(rows) + "\n").encode())
    assert frame.loc[0, "fechamento"] == "105"
    assert (
        frame["maximo"].iloc[-1] == text if text else pd.isna(frame["maximo"].iloc[-1])
    )


@pytest.mark.parametrize("content", [b"", b"   \n", b"\xef\xbb\xbf"])
def test_empty_file_is_fatal(read, content: bytes):
    with pytest.raises(RawFileError, match="empty"):
        read(content)


def test_missing_column_is_named(read):
    header = HEADER.replace("|fechamento", "")
    rows = ["BTC|2021-01-01|1609459200|110|95|100|10|1050"]
    with pytest.raises(RawFileError, match="missing required column.*fechamento"):
        read("\n".join([header, *rows]).encode())


def test_comma_separated_file_is_a_delimiter_error(read):
    content = "\n".join(
        [HEADER.replace("|", ","), GOOD_ROWS[0].replace("|", ",")]
    ).encode()
    with pytest.raises(RawFileError, match="delimiter.*','"):
        read(content)


@pytest.mark.parametrize(
    "bad_line",
    [b"BTC|2021-01-02|1|2|1|1|\xff|1|1\n", b"\xff\xfe|x\n"],
    ids=["in-a-field", "in-a-malformed-line"],
)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_bytes_that_are_not_utf8_are_undecodable(read, bad_line: bytes):
    content = (HEADER + "\n" + "BTC|2021-01-01|1|2|1|1|1|1|1\n").encode() + bad_line
    with pytest.raises(RawFileError, match="undecodable"):
        read(content)


def test_undecodable_header_is_named(read):
    with pytest.raises(RawFileError, match="undecodable"):
        read(b"ativo\xff|data\n")


def test_bom_and_crlf_are_accepted(tmp_path: Path):
    plain = RawCandlesDataset(
        filepath=str(write_raw(tmp_path / "a.csv", GOOD_ROWS))
    ).load()
    path = tmp_path / "b.csv"
    path.write_bytes(
        b"\xef\xbb\xbf" + ("\r\n".join([HEADER, *GOOD_ROWS]) + "\r\n").encode()
    )
    windows_style = RawCandlesDataset(filepath=str(path)).load()
    assert windows_style.equals(plain)


def test_extra_columns_are_ignored_and_order_is_free(read):
    header = "fechamento|extra|ativo|data|timestamp|maximo|minimo|abertura|volumefrom|volumeto"
    content = (
        f"{header}\n105|zzz|BTC|2021-01-01|1609459200|110|95|100|10|1050\n".encode()
    )
    frame = read(content)
    assert list(frame.columns) == [*RAW_COLUMNS, MALFORMED_LINE_COLUMN]
    assert frame.loc[0, "fechamento"] == 105.0
    assert frame.loc[0, "ativo"] == "BTC"


def test_line_with_wrong_field_count_is_kept_for_quarantine(read):
    content = f"{HEADER}\n{GOOD_ROWS[0]}\nBTC|2021-01-02|oops\n".encode()
    frame = read(content)
    assert len(frame) == 2
    assert frame[MALFORMED_LINE_COLUMN].tolist()[1] == "BTC|2021-01-02|oops"
