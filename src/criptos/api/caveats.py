"""What an answer says about itself: verdicts, the recommended model, honest refusals.

Everything here reads the manifest (written by the export from the training run's
metrics) or one asset's feature rows; nothing is computed at request time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from criptos.api.checks import TASKS, listing
from criptos.api.schemas import Recommended, Verdict

PROBABILITY_DECIMALS = 4
LOG_RETURN_DECIMALS = 6
SHARPE_DECIMALS = 3
_MAX_PRICE_DECIMALS = 12
_PRICE_SAMPLE = 30


def _metrics(manifest: Mapping[str, Any], model: str) -> Mapping[str, Any]:
    scores = (manifest.get("metrics") or {}).get(model)
    return scores if isinstance(scores, Mapping) else {}


def _number(value: Any, decimals: int) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return round(float(value), decimals) if math.isfinite(value) else None


def verdict_of(manifest: Mapping[str, Any], model: str) -> Verdict:
    """The walk-forward verdict of ``model`` as training wrote it (nulls when absent)."""
    verdict = _metrics(manifest, model).get("verdict") or {}
    beats = verdict.get("beats_baseline")
    return Verdict(
        beats_baseline=beats if isinstance(beats, bool) else None,
        p_value_adjusted=_number(verdict.get("p_value_adjusted"), PROBABILITY_DECIMALS),
        metric=verdict.get("metric"),
        baseline=verdict.get("baseline"),
    )


def holdout_net_sharpe(manifest: Mapping[str, Any], model: str) -> float | None:
    """The backtest's hold-out net Sharpe of ``long_flat`` for ``model``, if recorded."""
    return _number(_metrics(manifest, model).get("holdout_net_sharpe"), SHARPE_DECIMALS)


def _holdout_loss(scores: Mapping[str, Any]) -> float:
    """The hold-out loss, else the walk-forward one (a run without hold-out)."""
    for key in ("holdout_verdict", "verdict"):
        loss = (scores.get(key) or {}).get("model_loss")
        if isinstance(loss, int | float) and math.isfinite(loss):
            return float(loss)
    return math.inf


def recommended_models(manifest: Mapping[str, Any]) -> Recommended:
    """Per task, the model whose verdict passed with the lowest hold-out loss, or None."""
    best: dict[str, str | None] = dict.fromkeys(TASKS)
    for task in TASKS:
        passing = [
            name
            for name, entry in manifest["models"].items()
            if entry["task"] == task and verdict_of(manifest, name).beats_baseline
        ]
        if passing:
            best[task] = min(
                passing,
                key=lambda name: (_holdout_loss(_metrics(manifest, name)), name),
            )
    return Recommended(**best)


def price_decimals(closes: np.ndarray) -> int:
    """Decimals the asset's recent closes are quoted with (what its prices support)."""
    recent = [float(close) for close in closes[-_PRICE_SAMPLE:] if math.isfinite(close)]
    decimals = [
        len(np.format_float_positional(close, trim="-").partition(".")[2])
        for close in recent
    ]
    return min(max(decimals, default=2), _MAX_PRICE_DECIMALS)


@dataclass(frozen=True)
class Unpredictable:
    """Why an asset's latest row cannot be predicted honestly (answered with a 422)."""

    message: str
    days_needed: int | None = None


def refusal_of(
    code: str,
    *,
    rows: int,
    warmup_rows: int | None,
    missing: Sequence[str],
    inputs: int,
    max_missing_share: float,
) -> Unpredictable | None:
    """None when the asset's latest row has its look-back and (nearly) all inputs.

    ``warmup_rows`` comes from the feature table's own parameters (None when the table
    does not record them: then only the missing-input rule applies).
    """
    if warmup_rows is not None and rows < warmup_rows:
        needed = warmup_rows - rows
        return Unpredictable(
            f"asset {code} has {rows} day(s) of history but its features look back "
            f"{warmup_rows} days (warm-up incomplete): {needed} more day(s) needed",
            days_needed=needed,
        )
    if missing and len(missing) > max_missing_share * inputs:
        return Unpredictable(
            f"asset {code}: {len(missing)} of {inputs} model inputs are missing on "
            f"its latest row ({listing(list(missing))}); more than "
            f"{max_missing_share:.0%} would be filled with training medians"
        )
    return None
