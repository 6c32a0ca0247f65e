"""The feature store: what the project keeps between runs, and how it keeps it.

``history``: the candle history every feature is computed from (the snapshot and
append semantics, what a run changed); ``stored_history``: the history as stored
(metadata and generation, per-asset summary, opening it safely); ``spark_history``:
the same semantics on Spark.
"""
