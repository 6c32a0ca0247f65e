"""Synthetic candles with known return dynamics, and training parameters for tests.

Prices follow ``close[t] = close[t-1] * exp(r[t])``; the open is the previous close
and the high, low and volumes are independent noise, so nothing but the returns
carries information about the future.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import yaml

from criptos.features import FeatureParams, compute_features
from tests.kedro_project import PROJECT_ROOT

DAILY_VOLATILITY = 0.03
PLANTED_AR_COEFFICIENT = 0.35
# Small trees keep the tests fast; the linear models keep their shipped settings.
FAST_TREES = {
    "regressor_gbr": {"max_iter": 40, "max_leaf_nodes": 7},
    "regressor_rf": {"n_estimators": 25, "max_depth": 4},
    "classifier_rf": {"n_estimators": 25, "max_depth": 4},
}


def shipped_training_params() -> dict[str, Any]:
    """The ``training`` parameters of ``conf/base/parameters_training.yml``."""
    path = PROJECT_ROOT / "conf" / "base" / "parameters_training.yml"
    return yaml.safe_load(path.read_text())["training"]


# Fewer refits and shuffles: the schedule changes, not the rules.
FAST_SCHEDULE = {"retrain_every_days": 60, "holdout_days": 90, "importance_repeats": 1}


def fast_training_params(**overrides: Any) -> dict[str, Any]:
    """Shipped parameters with smaller tree ensembles, fewer refits and ``overrides``."""
    params = copy.deepcopy(shipped_training_params())
    for name, kwargs in FAST_TREES.items():
        params["models"][name]["kwargs"].update(kwargs)
    params.update(FAST_SCHEDULE)
    params.update(overrides)
    return params


def random_walk_returns(days: int, assets: int, seed: int) -> np.ndarray:
    """Independent normal log returns: tomorrow is unpredictable from the past."""
    return np.random.default_rng(seed).normal(
        0.0, DAILY_VOLATILITY, size=(days, assets)
    )


def ar1_returns(
    days: int, assets: int, seed: int, coefficient: float = PLANTED_AR_COEFFICIENT
):
    """Log returns with ``r[t] = coefficient * r[t-1] + noise`` per asset."""
    noise = random_walk_returns(days, assets, seed)
    returns = np.empty_like(noise)
    returns[0] = noise[0]
    for day in range(1, days):
        returns[day] = coefficient * returns[day - 1] + noise[day]
    return returns


def candles_from_returns(
    returns: np.ndarray, seed: int, start: str = "2018-01-01"
) -> pd.DataFrame:
    """Clean candles (one column per asset in ``returns``) in the validated layout."""
    rng = np.random.default_rng(seed + 1)
    days, assets = returns.shape
    dates = pd.date_range(start, periods=days, freq="D").as_unit("ns")
    frames = []
    for asset in range(assets):
        close = 100.0 * (asset + 1) * np.exp(np.cumsum(returns[:, asset]))
        opened = np.concatenate([[close[0]], close[:-1]])
        wick = np.abs(rng.normal(0.0, DAILY_VOLATILITY / 2, size=(2, days)))
        value_traded = rng.lognormal(mean=15.0, sigma=0.5, size=days)
        frames.append(
            pd.DataFrame(
                {
                    "ativo": f"A{asset:02d}",
                    "data": dates,
                    "abertura": opened,
                    "maximo": np.maximum(opened, close) * np.exp(wick[0]),
                    "minimo": np.minimum(opened, close) * np.exp(-wick[1]),
                    "fechamento": close,
                    "volumefrom": value_traded / close,
                    "volumeto": value_traded,
                }
            )
        )
    candles = pd.concat(frames, ignore_index=True)
    candles["ativo"] = candles["ativo"].astype("str")
    return candles


def features_from_returns(returns: np.ndarray, seed: int) -> pd.DataFrame:
    """The feature table the feature_engineering pipeline would build."""
    return compute_features(candles_from_returns(returns, seed), FeatureParams())
