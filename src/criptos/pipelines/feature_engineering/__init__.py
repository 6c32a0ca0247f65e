"""Raw candles to the feature Parquet files (dated and latest)."""
