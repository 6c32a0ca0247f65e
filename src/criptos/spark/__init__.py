"""Spark: everything the ``spark`` environment (``kedro run --env spark``) runs on.

``session``: the SparkSession hook, built from ``conf/<env>/spark.yml``; ``engine``:
validation and features on PySpark with the local engine's own rules and feature
function (``applyInPandas`` per asset); ``history``: the candle history's ingest
semantics (snapshot, append) as Spark joins. The Spark datasets of the catalog live
in ``criptos.datasets.spark_raw_candles`` and ``criptos.datasets.spark_parquet``.
Only the ``spark`` environment imports these modules, so nothing else needs PySpark.
"""
