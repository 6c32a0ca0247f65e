"""Raw candles to the feature Parquet files (dated and latest)."""

from criptos.pipelines.feature_engineering.pipeline import create_pipeline

__all__ = ["create_pipeline"]
