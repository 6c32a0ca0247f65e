"""The feature store: what the project keeps between runs, and how it keeps it.

``history``: the candle history every feature is computed from (ingest semantics,
generations); ``spark_history``: the same semantics on Spark.
"""
