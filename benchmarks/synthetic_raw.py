"""A large raw candle file made by scaling the real assets into thousands of synthetic ones.

Each synthetic asset replays the daily log returns, candle shapes and traded values of
one real asset (cycled from a random offset) with small random perturbations, so the
file has real-looking prices, zero-volume days and very small prices, and every row
passes validation. Rows are written date-major, like a daily dump of all assets.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from criptos.contracts.raw_file import DELIMITER, RAW_COLUMNS

logger = logging.getLogger(__name__)

END_DATE = np.datetime64("2021-07-06")
_ASSETS_PER_BLOCK = 250


@dataclass(frozen=True)
class _Template:
    """Per-day shape of one real asset, as ratios that keep every candle valid."""

    name: str
    log_returns: np.ndarray
    open_over_close: np.ndarray
    high_over_top: np.ndarray
    low_over_bottom: np.ndarray
    value_traded: np.ndarray
    last_close: float


def _templates(real_csv: Path) -> list[_Template]:
    frame = pd.read_csv(real_csv, sep=DELIMITER).sort_values(["ativo", "data"])
    templates = []
    for name, asset in frame.groupby("ativo", sort=True):
        close = asset["fechamento"].to_numpy(float)
        opened = asset["abertura"].to_numpy(float)
        top = np.maximum(opened, close)
        bottom = np.minimum(opened, close)
        templates.append(
            _Template(
                name=str(name),
                log_returns=np.diff(np.log(close)),
                open_over_close=(opened / close)[1:],
                high_over_top=np.maximum(asset["maximo"].to_numpy(float) / top, 1.0)[
                    1:
                ],
                low_over_bottom=np.minimum(
                    asset["minimo"].to_numpy(float) / bottom, 1.0
                )[1:],
                value_traded=asset["volumeto"].to_numpy(float)[1:],
                last_close=float(close[-1]),
            )
        )
    return templates


def _asset_block(
    templates: list[_Template],
    first: int,
    count: int,
    days: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Columns (asset-major) of ``count`` synthetic assets numbered from ``first``."""
    columns: dict[str, list[np.ndarray]] = {
        name: [] for name in ("ativo", *RAW_COLUMNS[3:])
    }
    for number in range(first, first + count):
        template = templates[number % len(templates)]
        index = (rng.integers(len(template.log_returns)) + np.arange(days)) % len(
            template.log_returns
        )
        returns = template.log_returns[index] + rng.normal(0.0, 0.002, days)
        close = template.last_close * rng.uniform(0.5, 2.0) * np.exp(np.cumsum(returns))
        opened = (
            close
            * template.open_over_close[index]
            * np.exp(rng.normal(0.0, 0.001, days))
        )
        high = (
            np.maximum(opened, close)
            * template.high_over_top[index]
            * (1.0 + rng.exponential(0.001, days))
        )
        low = (
            np.minimum(opened, close)
            * template.low_over_bottom[index]
            / (1.0 + rng.exponential(0.001, days))
        )
        value = (
            template.value_traded[index]
            * rng.uniform(0.1, 10.0)
            * np.exp(rng.normal(0.0, 0.05, days))
        )
        columns["ativo"].append(
            np.full(days, f"{template.name}{number:05d}", dtype=object)
        )
        columns["maximo"].append(high)
        columns["minimo"].append(low)
        columns["abertura"].append(opened)
        columns["fechamento"].append(close)
        columns["volumefrom"].append(value / close)
        columns["volumeto"].append(value)
    return {name: np.concatenate(parts) for name, parts in columns.items()}


def write_synthetic_raw(
    real_csv: Path, target: Path, assets: int, days: int, seed: int = 20240601
) -> int:
    """Write ``assets`` x ``days`` candles to ``target`` (pipe-separated); return the row count.

    Rows are grouped by date (every asset's day d before any asset's day d + 1), as
    a daily dump of all assets would be.
    """
    rng = np.random.default_rng(seed)
    templates = _templates(real_csv)
    dates = END_DATE - np.arange(days)[::-1]
    blocks = [
        _asset_block(
            templates, first, min(_ASSETS_PER_BLOCK, assets - first), days, rng
        )
        for first in range(0, assets, _ASSETS_PER_BLOCK)
    ]
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    options = pacsv.WriteOptions(
        delimiter=DELIMITER, quoting_style="none", include_header=False
    )
    schema = pa.schema(
        [
            (name, pa.string() if name in ("ativo", "data") else pa.float64())
            for name in RAW_COLUMNS
        ]
    ).set(2, pa.field("timestamp", pa.int64()))
    with (
        temporary.open("wb") as sink,
        pacsv.CSVWriter(sink, schema, write_options=options) as writer,
    ):
        sink.write((DELIMITER.join(RAW_COLUMNS) + "\n").encode())
        for day_index, day in enumerate(dates):
            text_day = str(day)
            timestamp = int(day.astype("datetime64[s]").astype(np.int64))
            parts = []
            for block in blocks:
                size = len(block["ativo"]) // days
                rows = np.arange(size) * days + day_index
                parts.append({name: values[rows] for name, values in block.items()})
            day_columns = {
                name: np.concatenate([p[name] for p in parts]) for name in parts[0]
            }
            count = len(day_columns["ativo"])
            table = pa.table(
                {
                    "ativo": pa.array(day_columns["ativo"], pa.string()),
                    "data": pa.array([text_day] * count, pa.string()),
                    "timestamp": pa.array(np.full(count, timestamp)),
                    **{name: pa.array(day_columns[name]) for name in RAW_COLUMNS[3:]},
                },
                schema=schema,
            )
            writer.write_table(table)
    temporary.replace(target)
    logger.info(
        "Wrote %d synthetic candles (%d assets x %d days) to %s",
        assets * days,
        assets,
        days,
        target,
    )
    return assets * days
