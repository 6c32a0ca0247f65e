"""The I/O floor: Arrow's CSV reader and a snappy Parquet write of the raw rows, nothing else.

python -m benchmarks.io_floor RAW_CSV OUTPUT_PARQUET
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def main(raw_csv: Path, output: Path) -> None:
    """Read the raw file with Arrow and write it back as snappy Parquet."""
    table = pacsv.read_csv(raw_csv, parse_options=pacsv.ParseOptions(delimiter="|"))
    pq.write_table(table, output, compression="snappy")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
