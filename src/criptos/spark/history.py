"""The candle history on Spark (``--env spark``): the same ingest semantics, as joins.

Imported only by the Spark engine's nodes, so the local engine never needs PySpark.
"""

from __future__ import annotations

from kedro.io import DatasetError
from pyspark.sql import DataFrame
from pyspark.sql.utils import AnalysisException

from criptos.datasets.spark_parquet import SparkParquetDataset
from criptos.feature_store.stored_history import REBUILD_COMMAND, HistoryError
from criptos.features.definitions import INPUT_COLUMNS, KEY_COLUMNS


def update_history_spark(
    candles: DataFrame, stored_path: str, ingest: str
) -> DataFrame:
    """``snapshot``: the clean candles; ``append``: the stored history without the keys
    of ``candles``, plus ``candles`` (new values win on the same (ativo, data))."""
    candles = candles.select(*INPUT_COLUMNS)
    if ingest == "snapshot":
        return candles
    try:
        stored = SparkParquetDataset(filepath=stored_path).load()
    except DatasetError as error:
        cause = error.__cause__
        reason = (
            cause.getMessage() if isinstance(cause, AnalysisException) else str(error)
        )
        raise HistoryError(
            f"the candle history {stored_path} cannot be read by Spark ({reason}); "
            "ingest=append adds new days to a stored history. Rebuild it from a raw file "
            f"holding the whole history: {REBUILD_COMMAND} --env spark"
        ) from None
    kept = stored.select(*INPUT_COLUMNS).join(
        candles.select(*KEY_COLUMNS), on=list(KEY_COLUMNS), how="left_anti"
    )
    return kept.unionByName(candles)
