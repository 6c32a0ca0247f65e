"""File-level rules of the raw candle file."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from criptos.contracts.raw_file import (
    MALFORMED_LINE_COLUMN,
    RAW_COLUMNS,
    UNTERMINATED_LAST_ROW,
    RawFileError,
    read_raw_candles,
)
from criptos.datasets import RawCandlesDataset
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


@pytest.mark.parametrize(
    ("header", "described"),
    [
        (
            f"{HEADER}|fechamento",
            "fechamento (columns 7 'fechamento', 10 'fechamento')",
        ),
        (
            HEADER.replace("fechamento", "Fechamento") + "|fechamento ",
            "fechamento (columns 7 'Fechamento', 10 'fechamento ')",
        ),
    ],
)
def test_duplicate_column_names_are_fatal_and_named(read, header: str, described: str):
    content = f"{header}\nBTC|2021-01-01|1609459200|110|95|100|105|10|1050|106\n"
    with pytest.raises(RawFileError) as error:
        read(content.encode())
    assert str(error.value) == (
        f"raw.csv has duplicate column names: {described}; each column must appear "
        "once (which one to use would be a guess)"
    )


def test_a_quoted_header_and_quoted_cells_are_read(read):
    header = "|".join(f'"{name}"' for name in HEADER.split("|"))
    row = "|".join(f'"{cell}"' for cell in GOOD_ROWS[0].split("|"))
    frame = read(f"{header}\n{row}\n{GOOD_ROWS[1]}\n".encode())
    assert frame.loc[0, "ativo"] == "BTC"
    assert frame.loc[0, "data"] == "2021-01-01"
    assert frame["fechamento"].tolist() == [105.0, 108.0]  # parsed while reading
    assert frame.loc[0, "timestamp"] == 1609459200


def test_a_quoted_cell_may_hold_the_separator(read):
    frame = read(
        f'{HEADER}\n"BTC|X"|2021-01-01|1609459200|110|95|100|105|10|1050\n'.encode()
    )
    assert frame.loc[0, "ativo"] == "BTC|X"
    assert frame[MALFORMED_LINE_COLUMN].isna().all()


def test_a_missing_column_names_what_was_found_and_expected(read):
    header = "ativo|date|maximo|minimo|abertura|fechamento|volumefrom"
    with pytest.raises(RawFileError) as error:
        read(f"{header}\nBTC|2021-01-01|1|1|1|1|1\n".encode())
    assert str(error.value) == (
        "raw.csv is missing required column(s): data: found columns "
        "ativo,date,maximo,minimo,abertura,fechamento,volumefrom ; expected "
        "ativo,data,maximo,minimo,abertura,fechamento,volumefrom (optional: "
        "timestamp, volumeto) (map yours with `columns:` in the catalog, see "
        "docs/data.md)"
    )


def test_a_wrong_delimiter_points_at_the_sep_option(read):
    with pytest.raises(RawFileError) as error:
        read(f"{HEADER.replace('|', ';')}\n".encode())
    assert str(error.value) == (
        "raw.csv has the wrong delimiter: expected '|'-separated columns; the header "
        "looks separated by ';' (set `sep:` in the catalog, see docs/data.md)"
    )


def test_timestamp_and_volumeto_are_optional(read):
    """volumeto is then volumefrom x fechamento; timestamp is missing."""
    header = "ativo|data|maximo|minimo|abertura|fechamento|volumefrom"
    frame = read(f"{header}\nBTC|2021-01-01|110|95|100|105|10\n".encode())
    assert list(frame.columns) == [*RAW_COLUMNS, MALFORMED_LINE_COLUMN]
    assert frame.loc[0, "volumeto"] == 1050.0
    assert pd.isna(frame.loc[0, "timestamp"])


def test_a_derived_volumeto_is_the_same_when_numbers_stay_text(read):
    header = "ativo|data|maximo|minimo|abertura|fechamento|volumefrom"
    rows = ["BTC|2021-01-01|110|95|100|105.1|10.3", "BTC|2021-01-02|abc|1|1|1|1"]
    frame = read(("\n".join([header, *rows]) + "\n").encode())
    assert frame.loc[0, "fechamento"] == "105.1"  # text read
    assert frame["volumeto"].dtype == np.float64
    assert frame.loc[0, "volumeto"] == 105.1 * 10.3


def test_an_unterminated_last_line_is_marked_with_its_row(read):
    content = f"{HEADER}\n{GOOD_ROWS[0]}\nBTC|oops\n{GOOD_ROWS[1][:-2]}".encode()
    frame = read(content)
    assert frame.attrs[UNTERMINATED_LAST_ROW] == 1  # before the malformed line's row
    assert frame.loc[1, "data"] == "2021-01-02"
    assert UNTERMINATED_LAST_ROW not in read(content + b"\n").attrs
