"""Synthetic raw candles for a fresh project (never overwrites an existing raw.csv)."""

from criptos.pipelines.sample_data.pipeline import create_pipeline

__all__ = ["create_pipeline"]
