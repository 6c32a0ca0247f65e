"""Writers of small raw candle files for tests."""

from __future__ import annotations

from pathlib import Path

HEADER = "ativo|data|timestamp|maximo|minimo|abertura|fechamento|volumefrom|volumeto"
GOOD_ROWS = (
    "BTC|2021-01-01|1609459200|110|95|100|105|10|1050",
    "BTC|2021-01-02|1609545600|112|100|105|108|12|1296",
    "BTC|2021-01-03|1609632000|109|101|108|102|0|0",
    "ETH|2021-01-01|1609459200|12|9.5|10|11|100|1100",
    "ETH|2021-01-02|1609545600|11.5|10|11|10.5|80|840",
)


# The catalog `columns:` mapping of an English OHLCV export (docs/data.md).
ENGLISH_OHLCV_COLUMNS = {
    "date": "data",
    "open": "abertura",
    "high": "maximo",
    "low": "minimo",
    "close": "fechamento",
    "volume": "volumefrom",
}


def write_raw(
    path: Path,
    rows: tuple[str, ...] | list[str],
    header: str = HEADER,
    newline: str = "\n",
) -> Path:
    """Write ``header`` and ``rows`` as a raw file and return its path."""
    path.write_text(
        newline.join([header, *rows]) + newline, encoding="utf-8", newline=""
    )
    return path
