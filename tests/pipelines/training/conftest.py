"""Fixtures of the training tests: the real feature table, built once."""

from __future__ import annotations

import pandas as pd
import pytest

from criptos.features import FeatureParams, compute_features
from criptos.validation import validate_candles


@pytest.fixture(scope="session")
def real_features(real_raw_frame: pd.DataFrame) -> pd.DataFrame:
    """The feature table of the real 7-coin file, as feature_engineering writes it."""
    candles = validate_candles(real_raw_frame, max_quarantine_share=0.05).candles
    return compute_features(candles, FeatureParams())
