"""The raw candle file contract and the reader that enforces its file-level rules.

Raw files are pipe-separated with a header row and at least the columns in
``RAW_COLUMNS`` (CryptoCompare daily candles); extra columns are ignored. Problems
with the file as a whole (empty, wrong delimiter, missing column, not UTF-8) raise
``RawFileError`` with a message that names the problem. Rows with the wrong number
of fields are kept aside as ``MALFORMED_LINE_COLUMN`` so that row validation can
quarantine them with a reason instead of failing the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

RAW_COLUMNS: tuple[str, ...] = (
    "ativo",
    "data",
    "timestamp",
    "maximo",
    "minimo",
    "abertura",
    "fechamento",
    "volumefrom",
    "volumeto",
)
PRICE_COLUMNS: tuple[str, ...] = ("abertura", "maximo", "minimo", "fechamento")
VOLUME_COLUMNS: tuple[str, ...] = ("volumefrom", "volumeto")
_NUMBER_COLUMNS = (*PRICE_COLUMNS, *VOLUME_COLUMNS)
DELIMITER = "|"
MALFORMED_LINE_COLUMN = "linha_malformada"
_OTHER_DELIMITERS = (",", ";", "\t")
_HEADER_PROBE_BYTES = 64 * 1024
_UTF8_BOM = b"\xef\xbb\xbf"


class RawFileError(ValueError):
    """The raw file as a whole breaks the contract; nothing downstream may run."""


def header_columns(head: bytes, source: str) -> list[str]:
    """Decode and split the header line, raising on the file-level problems."""
    if head.startswith(_UTF8_BOM):
        head = head[len(_UTF8_BOM) :]
    if not head.strip():
        raise RawFileError(f"{source} is empty: it has no header and no data rows")
    header_line = head.splitlines()[0]
    try:
        header = header_line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RawFileError(
            f"{source} is undecodable: its header is not UTF-8 text ({error.reason} at byte {error.start})"
        ) from None
    columns = [name.strip().lower() for name in header.split(DELIMITER)]
    if len(columns) == 1:
        found = [sep for sep in _OTHER_DELIMITERS if sep in header]
        hint = f"; the header looks separated by {found[0]!r}" if found else ""
        raise RawFileError(
            f"{source} has the wrong delimiter: expected {DELIMITER!r}-separated columns{hint}"
        )
    missing = [name for name in RAW_COLUMNS if name not in columns]
    if missing:
        raise RawFileError(
            f"{source} is missing required column(s): {', '.join(missing)} "
            f"(expected header {DELIMITER.join(RAW_COLUMNS)})"
        )
    return columns


def _text_memory_pool() -> pa.MemoryPool:
    """Arrow pool for the raw text: jemalloc hands freed pages back to the system
    promptly, so dropping the text after validation lowers the process' footprint."""
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow build without jemalloc
        return pa.default_memory_pool()


def _read_head(data: BinaryIO | Path) -> bytes:
    """The first bytes of the file (enough for its header line); rewinds a stream."""
    if isinstance(data, Path):
        with data.open("rb") as stream:
            return stream.read(_HEADER_PROBE_BYTES)
    head = data.read(_HEADER_PROBE_BYTES)
    data.seek(0)
    return head


class _NotAllNumbers(Exception):
    """A numeric column holds text that is not a finite number: read it all as text."""


def _arrow_read(
    data: BinaryIO | Path, columns: list[str], source: str, numbers: pa.DataType
) -> pd.DataFrame:
    """One Arrow read of the file with numeric columns as ``numbers`` (float64 or text)."""
    malformed: list[str] = []

    def keep_malformed(row: pacsv.InvalidRow) -> str:
        malformed.append(row.text)
        return "skip"

    typed = numbers != pa.large_string()
    types = dict.fromkeys(RAW_COLUMNS, pa.large_string())
    types.update(dict.fromkeys(_NUMBER_COLUMNS, numbers))
    # Arrow's null tokens ("NA", "null", "NaN", ...) would make such numeric cells
    # "missing"; typed, only empty cells are, and text columns get the tokens below.
    nulls = {"null_values": [""]} if typed else {}
    try:
        table = pacsv.read_csv(
            str(data) if isinstance(data, Path) else data,
            memory_pool=_text_memory_pool(),
            read_options=pacsv.ReadOptions(column_names=columns, skip_rows=1),
            parse_options=pacsv.ParseOptions(
                delimiter=DELIMITER, invalid_row_handler=keep_malformed
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                include_columns=list(RAW_COLUMNS),
                **nulls,
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as error:
        if "Could not skip initial" in str(error):
            raise RawFileError(
                f"{source} is empty: it has a header but no data rows"
            ) from None
        if typed and "conversion error" in str(error):
            raise _NotAllNumbers from None
        # A malformed line with non-UTF-8 bytes reaches us as a parse error whose
        # quoted line holds replacement characters.
        if "UTF8" in str(error) or "\ufffd" in str(error):
            raise RawFileError(
                f"{source} is undecodable: it holds bytes that are not UTF-8 text ({error})"
            ) from None
        raise RawFileError(
            f"{source} could not be parsed as a raw candle file: {error}"
        ) from None
    if typed:
        table = _typed_table(table)
    if malformed:
        extra = pd.DataFrame({MALFORMED_LINE_COLUMN: malformed})
        return pd.concat([table.to_pandas(), extra], ignore_index=True)
    # an all-missing text column, built by Arrow (20x faster than by pandas)
    no_text = pa.nulls(table.num_rows, pa.large_string())
    return table.append_column(MALFORMED_LINE_COLUMN, no_text).to_pandas()


def _typed_table(table: pa.Table) -> pa.Table:
    """Checks and completes a read with float64 numbers (see ``_arrow_read``)."""
    for name in _NUMBER_COLUMNS:
        column = table.column(name)
        written_non_finite = pc.and_(
            pc.is_valid(column), pc.invert(pc.is_finite(column))
        )
        if pc.sum(written_non_finite).as_py():
            raise _NotAllNumbers  # "nan" or "inf" written out: validation must see it
    tokens = pa.array(pacsv.ConvertOptions().null_values, pa.large_string())
    for index, name in enumerate(table.column_names):
        if name not in _NUMBER_COLUMNS:
            column = table.column(name)
            null_token = pc.is_in(column, value_set=tokens)
            if pc.any(null_token).as_py():
                column = pc.if_else(null_token, pa.scalar(None, column.type), column)
                table = table.set_column(index, name, column)
    return table


def read_raw_candles(data: BinaryIO | Path, source: str = "raw file") -> pd.DataFrame:
    """Read a raw candle file into a frame of ``RAW_COLUMNS`` (and ``MALFORMED_LINE_COLUMN``).

    ``data`` is a binary stream or, for a local file, its path: Arrow then reads
    the file natively, without going through a Python file object (faster).
    When every price and volume cell is a finite number or empty (the usual feed),
    they are parsed while reading (float64, NaN for empty), which is several times
    faster; otherwise every column stays text, so that row validation can tell
    "missing" from "not a number". Other columns are text; empty fields become
    missing. A UTF-8 byte-order mark and CRLF line ends are accepted. Lines with the
    wrong number of fields come back as extra rows holding only
    ``MALFORMED_LINE_COLUMN``.
    """
    columns = header_columns(_read_head(data), source)
    try:
        return _arrow_read(data, columns, source, numbers=pa.float64())
    except _NotAllNumbers:
        if not isinstance(data, Path):
            data.seek(0)
        return _arrow_read(data, columns, source, numbers=pa.large_string())
