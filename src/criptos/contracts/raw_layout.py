"""The raw candle file's columns and header: the contract and the layouts that map to it.

Raw files have a header row and the columns in ``RAW_COLUMNS`` (CryptoCompare daily
candles), by default pipe-separated; extra columns are ignored. ``timestamp`` and
``volumeto`` may be absent. A ``RawLayout`` (the catalog options of
``RawCandlesDataset``) reads other layouts of the same candles: another separator,
other column names, one asset per file without an ``ativo`` column.
``header_columns`` checks a header against a layout and raises ``RawFileError`` for
what makes the whole file unusable.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from criptos.contracts.errors import InputError

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
# Columns a file may leave out: derived (volumeto) or only checked when present.
OPTIONAL_COLUMNS: tuple[str, ...] = ("timestamp", "volumeto")
DELIMITER = "|"
MALFORMED_LINE_COLUMN = "linha_malformada"
_DELIMITERS = ("|", ",", ";", "\t")
_UTF8_BOM = b"\xef\xbb\xbf"
DOCS = "see docs/data.md"


class RawFileError(InputError):
    """The raw file as a whole breaks the contract; nothing downstream may run."""


def _normalised(name: str) -> str:
    return name.strip().strip('"').strip().lower()


@dataclass(frozen=True)
class RawLayout:
    """How a raw file lays out the contract's columns (``RawCandlesDataset`` options).

    ``sep``: the field separator. ``columns``: the file's column names (trimmed,
    case-insensitive) mapped to contract names, e.g. ``{"close": "fechamento"}``;
    names not mapped are taken as they are. ``asset``: the asset code of a file of
    one asset that has no ``ativo`` column.
    """

    sep: str = DELIMITER
    columns: Mapping[str, str] = field(default_factory=dict)
    asset: str | None = None

    @classmethod
    def of(
        cls,
        sep: str = DELIMITER,
        columns: Mapping[str, str] | None = None,
        asset: str | None = None,
    ) -> RawLayout:
        """A checked layout; raises ``InputError`` naming the catalog option at fault."""
        if not isinstance(sep, str) or len(sep) != 1 or sep in '"\r\n':
            raise InputError(
                f"raw_candles sep must be one character (not a quote or line break), "
                f"got {sep!r}"
            )
        mapping: dict[str, str] = {}
        for source, target in dict(columns or {}).items():
            contract = _normalised(str(target))
            if contract not in RAW_COLUMNS:
                raise InputError(
                    f"raw_candles columns maps {source!r} to {target!r}, which is not "
                    f"a contract column (one of {', '.join(RAW_COLUMNS)}; {DOCS})"
                )
            mapping[_normalised(str(source))] = contract
        repeated = sorted(
            name for name, n in Counter(mapping.values()).items() if n > 1
        )
        if repeated:
            raise InputError(
                f"raw_candles columns maps several file columns to {', '.join(repeated)}"
            )
        if asset is not None and (not isinstance(asset, str) or not asset.strip()):
            raise InputError(
                f"raw_candles asset must be a non-empty code, got {asset!r}"
            )
        return cls(sep=sep, columns=mapping, asset=asset)

    def required(self, names: list[str]) -> list[str]:
        """Contract columns a file with the (contract) ``names`` must have."""
        required = [name for name in RAW_COLUMNS if name not in OPTIONAL_COLUMNS]
        if self.asset is not None:
            required.remove("ativo")
        if "data" not in names and "timestamp" in names:
            required.remove("data")  # derived from the timestamp (CCXT files)
        return required


DEFAULT_LAYOUT = RawLayout()


def _split_header(header: str, sep: str) -> list[str]:
    """The header's fields; quoted names (``"ativo"|"data"``) are unquoted."""
    return next(csv.reader([header], delimiter=sep, quotechar='"'), [""])


def header_columns(
    head: bytes, source: str, layout: RawLayout = DEFAULT_LAYOUT
) -> list[str]:
    """The name of each file column (contract names where they map), raising on the
    file-level problems: empty, not UTF-8, wrong delimiter, duplicate or missing
    columns. Unnamed columns are called ``_coluna_<position>``."""
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
    as_written = _split_header(header, layout.sep)
    written = [name.strip() for name in as_written]
    if len(written) == 1:
        found = [sep for sep in _DELIMITERS if sep != layout.sep and sep in header]
        hint = f"; the header looks separated by {found[0]!r}" if found else ""
        raise RawFileError(
            f"{source} has the wrong delimiter: expected {layout.sep!r}-separated "
            f"columns{hint} (set `sep:` in the catalog, {DOCS})"
        )
    names = [
        layout.columns.get(_normalised(name), _normalised(name)) or f"_coluna_{index}"
        for index, name in enumerate(written)
    ]
    _refuse_duplicates(names, as_written, source)
    if layout.asset is not None and "ativo" in names:
        raise RawFileError(
            f"{source} has an ativo column and the catalog sets asset: "
            f"{layout.asset!r}; remove one of them ({DOCS})"
        )
    required = layout.required(names)
    missing = [name for name in required if name not in names]
    if missing:
        unused = [
            name for name in layout.columns if name not in map(_normalised, written)
        ]
        not_found = (
            f"; `columns:` maps {', '.join(unused)}, not in the file" if unused else ""
        )
        raise RawFileError(
            f"{source} is missing required column(s): {', '.join(missing)}: found "
            f"columns {','.join(written)} ; expected {','.join(required)} (optional: "
            f"{', '.join(OPTIONAL_COLUMNS)}){not_found} (map yours with `columns:` in "
            f"the catalog, {DOCS})"
        )
    return names


def _refuse_duplicates(names: list[str], written: list[str], source: str) -> None:
    """Two columns with one name (after trimming, case folding and ``columns:``)."""
    counts = Counter(names)
    repeated = [name for name in counts if counts[name] > 1]
    if repeated:
        described = "; ".join(
            f"{name} (columns "
            + ", ".join(
                f"{index + 1} {written[index]!r}"
                for index, other in enumerate(names)
                if other == name
            )
            + ")"
            for name in repeated
        )
        raise RawFileError(
            f"{source} has duplicate column names: {described}; each column must "
            "appear once (which one to use would be a guess)"
        )
