"""The reader of raw candle files, enforcing the contract's file-level rules.

The columns, the header check and the layouts live in
``criptos.contracts.raw_layout``, the derived columns in
``criptos.contracts.derived_columns`` and the check of the file's last line in
``criptos.contracts.last_line`` (all re-exported here). ``read_raw_candles`` reads a file
with Arrow: problems with the file as a whole (empty, wrong delimiter, missing or
duplicate column, not UTF-8) raise ``RawFileError`` with a message that names the
problem. Rows with the wrong number of fields are kept aside as
``MALFORMED_LINE_COLUMN`` so that row validation can quarantine them with a reason
instead of failing the run; a file whose last line has no line break (a download
cut short) says which row that line is in ``frame.attrs[UNTERMINATED_LAST_ROW]``.
Derived columns are completed by ``complete_columns`` (``volumeto = volumefrom ×
fechamento`` when absent, ``data`` from a millisecond ``timestamp``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from criptos.contracts.derived_columns import complete_columns
from criptos.contracts.last_line import (
    last_line_if_unterminated,
    unterminated_last_line,
)
from criptos.contracts.raw_layout import (
    DEFAULT_LAYOUT,
    DELIMITER,
    MALFORMED_LINE_COLUMN,
    OPTIONAL_COLUMNS,
    PRICE_COLUMNS,
    RAW_COLUMNS,
    VOLUME_COLUMNS,
    RawFileError,
    RawLayout,
    header_columns,
)

__all__ = [
    "DELIMITER",
    "MALFORMED_LINE_COLUMN",
    "OPTIONAL_COLUMNS",
    "PRICE_COLUMNS",
    "RAW_COLUMNS",
    "UNTERMINATED_LAST_ROW",
    "VOLUME_COLUMNS",
    "RawFileError",
    "RawLayout",
    "complete_columns",
    "header_columns",
    "read_raw_candles",
    "unterminated_last_line",
]

_NUMBER_COLUMNS = (*PRICE_COLUMNS, *VOLUME_COLUMNS)
# ``frame.attrs`` key: the frame row holding the file's last line when that line has
# no line break after it (it may have been cut short); absent otherwise.
UNTERMINATED_LAST_ROW = "linha_incompleta"
_HEADER_PROBE_BYTES = 64 * 1024


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


@dataclass
class _Read:
    table: pa.Table
    malformed: list[str]


def _parse_options(sep: str, malformed: list[str]) -> pacsv.ParseOptions:
    def keep_malformed(row: pacsv.InvalidRow) -> str:
        malformed.append(row.text)
        return "skip"

    return pacsv.ParseOptions(delimiter=sep, invalid_row_handler=keep_malformed)


def _arrow_read(
    data: BinaryIO | Path,
    columns: list[str],
    source: str,
    sep: str,
    numbers: pa.DataType,
) -> _Read:
    """One Arrow read of the file with numeric columns as ``numbers`` (float64 or text).

    In the typed read ``timestamp`` is read as int64 (one conversion error makes the
    whole file text, like a number that does not parse).
    """
    malformed: list[str] = []
    typed = numbers != pa.large_string()
    present = [name for name in RAW_COLUMNS if name in columns]
    types = dict.fromkeys(present, pa.large_string())
    types.update({name: numbers for name in _NUMBER_COLUMNS if name in present})
    if typed and "timestamp" in present:
        types["timestamp"] = pa.int64()
    # Arrow's null tokens ("NA", "null", "NaN", ...) would make such numeric cells
    # "missing"; typed, only empty cells are, and text columns get the tokens below.
    nulls = {"null_values": [""]} if typed else {}
    try:
        table = pacsv.read_csv(
            str(data) if isinstance(data, Path) else data,
            memory_pool=_text_memory_pool(),
            read_options=pacsv.ReadOptions(column_names=columns, skip_rows=1),
            parse_options=_parse_options(sep, malformed),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                include_columns=present,
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
    return _Read(table, malformed)


def _typed_table(table: pa.Table) -> pa.Table:
    """Checks and completes a read with float64 numbers (see ``_arrow_read``)."""
    for name in _NUMBER_COLUMNS:
        if name not in table.column_names:
            continue
        column = table.column(name)
        written_non_finite = pc.and_(
            pc.is_valid(column), pc.invert(pc.is_finite(column))
        )
        if pc.sum(written_non_finite).as_py():
            raise _NotAllNumbers  # "nan" or "inf" written out: validation must see it
    tokens = pa.array(pacsv.ConvertOptions().null_values, pa.large_string())
    for index, name in enumerate(table.column_names):
        if not pa.types.is_large_string(table.schema.field(index).type):
            continue
        column = table.column(name)
        null_token = pc.is_in(column, value_set=tokens)
        if pc.any(null_token).as_py():
            column = pc.if_else(null_token, pa.scalar(None, column.type), column)
            table = table.set_column(index, name, column)
    return table


def _frame(read: _Read) -> pd.DataFrame:
    """The read as a frame: its columns, then ``MALFORMED_LINE_COLUMN``."""
    table = read.table
    if read.malformed:
        extra = pd.DataFrame({MALFORMED_LINE_COLUMN: read.malformed})
        return pd.concat([table.to_pandas(), extra], ignore_index=True)
    # an all-missing text column, built by Arrow (20x faster than by pandas)
    no_text = pa.nulls(table.num_rows, pa.large_string())
    return table.append_column(MALFORMED_LINE_COLUMN, no_text).to_pandas()


def _last_row(read: _Read, last_line: bytes, columns: list[str], sep: str) -> int:
    """The frame row of the file's last line: the last well-formed row if the line is
    well-formed, else its entry among the malformed lines (kept after them)."""
    alone: list[str] = []
    try:
        pacsv.read_csv(
            io.BytesIO(last_line),
            read_options=pacsv.ReadOptions(column_names=columns),
            parse_options=_parse_options(sep, alone),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.large_string())
            ),
        )
    except pa.ArrowInvalid:  # not even one row: it is among the malformed lines
        alone.append(last_line.decode("utf-8", errors="replace"))
    if alone and read.malformed:
        text = alone[0]
        matches = [i for i, line in enumerate(read.malformed) if line == text]
        index = matches[-1] if matches else len(read.malformed) - 1
        return read.table.num_rows + index
    return read.table.num_rows - 1


def read_raw_candles(
    data: BinaryIO | Path,
    source: str = "raw file",
    layout: RawLayout = DEFAULT_LAYOUT,
) -> pd.DataFrame:
    """Read a raw candle file into a frame of ``RAW_COLUMNS`` (and ``MALFORMED_LINE_COLUMN``).

    ``data`` is a binary stream or, for a local file, its path: Arrow then reads
    the file natively, without going through a Python file object (faster).
    When every price and volume cell is a finite number or empty and every
    ``timestamp`` an integer (the usual feed), they are parsed while reading
    (float64, NaN for empty; int64), which is several times faster; otherwise every
    column stays text, so that row validation can tell "missing" from "not a
    number". Other columns are text; empty fields become missing. A UTF-8
    byte-order mark, CRLF line ends and quoted fields are accepted. Lines with the
    wrong number of fields come back as extra rows holding only
    ``MALFORMED_LINE_COLUMN``. Columns the layout leaves out are completed by
    ``complete_columns``. When the file does not end with a line break, the row of
    its last line is ``frame.attrs[UNTERMINATED_LAST_ROW]`` (only the file's last
    bytes are read to tell).
    """
    columns = header_columns(_read_head(data), source, layout)
    last_line = last_line_if_unterminated(data)
    try:
        read = _arrow_read(data, columns, source, layout.sep, numbers=pa.float64())
    except _NotAllNumbers:
        if not isinstance(data, Path):
            data.seek(0)
        read = _arrow_read(data, columns, source, layout.sep, pa.large_string())
    frame = complete_columns(_frame(read), layout.asset)
    if last_line is not None:
        frame.attrs[UNTERMINATED_LAST_ROW] = _last_row(
            read, last_line, columns, layout.sep
        )
    return frame
