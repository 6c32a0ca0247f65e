"""Seeds raw.csv on a fresh project: real candles by default (never overwrites)."""

from criptos.pipelines.sample_data.pipeline import create_pipeline

__all__ = ["create_pipeline"]
