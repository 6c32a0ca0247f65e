"""The candles that seed raw.csv: the packaged real file, or deterministic synthetic ones."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from criptos.contracts.raw_file import RAW_COLUMNS
from criptos.pipelines.sample_data.params import SampleDataParams, SyntheticAsset

logger = logging.getLogger(__name__)


def _garch_log_returns(
    rng: np.random.Generator, days: int, daily_vol: float, drift: float
) -> tuple[np.ndarray, np.ndarray]:
    """GARCH(1,1) log returns with Student-t shocks: calm and stormy spells alternate."""
    alpha, beta, shock_dof = 0.10, 0.85, 4.0
    omega = daily_vol**2 * (1.0 - alpha - beta)
    shocks = rng.standard_t(shock_dof, size=days) / np.sqrt(
        shock_dof / (shock_dof - 2.0)
    )
    variance = np.empty(days)
    returns = np.empty(days)
    variance[0] = daily_vol**2
    for day in range(days):
        if day:
            variance[day] = (
                omega + alpha * returns[day - 1] ** 2 + beta * variance[day - 1]
            )
        returns[day] = drift + np.sqrt(variance[day]) * shocks[day]
    return returns, np.sqrt(variance)


def _asset_candles(
    rng: np.random.Generator,
    asset: str,
    spec: SyntheticAsset,
    dates: pd.DatetimeIndex,
) -> pd.DataFrame:
    days = len(dates)
    returns, sigma = _garch_log_returns(
        rng, days, spec.daily_volatility, spec.daily_drift
    )
    close = spec.start_price * np.exp(np.cumsum(returns))
    previous_close = np.concatenate([[spec.start_price], close[:-1]])
    opened = previous_close * np.exp(rng.normal(0.0, 0.05, days) * sigma)
    high = np.maximum(opened, close) * np.exp(
        np.abs(rng.normal(0.0, 0.5, days)) * sigma
    )
    low = np.minimum(opened, close) * np.exp(
        -np.abs(rng.normal(0.0, 0.5, days)) * sigma
    )
    activity = np.exp(rng.normal(0.0, 0.35, days) + 1.5 * np.abs(returns) / sigma)
    value_traded = spec.daily_value_traded * activity / activity.mean()
    return pd.DataFrame(
        {
            "ativo": asset,
            "data": dates.strftime("%Y-%m-%d"),
            "timestamp": (dates - pd.Timestamp("1970-01-01"))
            // pd.Timedelta(seconds=1),
            "maximo": high,
            "minimo": low,
            "abertura": opened,
            "fechamento": close,
            "volumefrom": value_traded / close,
            "volumeto": value_traded,
        }
    )


def generate_sample_candles(sample: SampleDataParams) -> pd.DataFrame:
    """Synthetic raw candles for several assets, identical on every run.

    Args:
        sample: the ``sample_data`` parameters: ``seed``, ``start_date``, ``days`` and
            per-asset ``assets`` specs (``start_price``, ``daily_volatility``,
            ``daily_value_traded``, optional ``daily_drift``).

    Returns:
        A frame with exactly the raw.csv columns, highs and lows enclosing the body.
    """
    sample = SampleDataParams.of(sample)
    rng = np.random.default_rng(sample.seed)
    dates = pd.date_range(
        pd.Timestamp(sample.start_date), periods=sample.days, freq="D"
    )
    frames = [
        _asset_candles(rng, asset, spec, dates) for asset, spec in sample.assets.items()
    ]
    candles = pd.concat(frames, ignore_index=True)[list(RAW_COLUMNS)]
    logger.info(
        "Generated %d synthetic candles for %d assets from %s to %s",
        len(candles),
        len(frames),
        dates[0].date(),
        dates[-1].date(),
    )
    return candles


def seed_raw_candles(embedded: bytes, sample: SampleDataParams) -> bytes:
    """The bytes of a raw.csv for a fresh project.

    Args:
        embedded: the real candles shipped with the package (``embedded_raw_candles``).
        sample: the ``sample_data`` parameters; ``source`` is ``real`` (the default:
            ``embedded`` unchanged) or ``synthetic`` (``generate_sample_candles`` of
            the same parameters, written pipe-separated).
    """
    sample = SampleDataParams.of(sample)
    if sample.source == "real":
        logger.info(
            "Seeding raw.csv with the packaged real candles (%d rows, %d bytes)",
            max(embedded.count(b"\n") - 1, 0),
            len(embedded),
        )
        return embedded
    candles = generate_sample_candles(sample)
    return candles.to_csv(sep="|", index=False).encode("utf-8")
