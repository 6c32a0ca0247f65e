"""The feature store: what the project keeps between runs, and how it keeps it.

Its interface is small: a ``TableLocation`` (where a table is: open it, read its
metadata) and a ``FeatureTableStore`` (the table there, in the ``file`` or ``parts``
layout: ``read``, ``write`` a ``TableContent``, ``append_delta``, ``compact``,
``publish`` a copy of another stored table — how the dated features become the
latest), every write atomic. ``content_of`` turns what the project stores (a pandas
frame, the candle history, a feature table) into a ``TableContent``.

Modules: ``store`` (writing, the atomic swaps, publishing), ``location`` (stored
tables of either layout, read alike), ``parts`` (the folder layout: part, delta and
state files, read in (ativo, data) order), ``files`` (how each Parquet file is
written and read), ``content`` (what is written); the candle history every feature
is computed from: ``history`` (the snapshot and append semantics), ``candle_history``
(what a run changed, the new history), ``candle_keys`` (merging and matching candles
by key), ``stored_history`` (the history as stored: metadata and generation,
per-asset summary, opening it safely). The same semantics on Spark live in
``criptos.spark.history``.

Dependencies point one way: ``criptos.datasets`` adapts this package to Kedro, and
this package builds on ``criptos.features`` (which knows nothing of storage: a
daily run reads the previous table through ``criptos.features.state.PreviousTable``,
which the stored tables implement).
"""

from criptos.feature_store.content import TableContent, content_of
from criptos.feature_store.location import StoredTable, TableLocation
from criptos.feature_store.store import LAYOUTS, FeatureTableStore

__all__ = [
    "LAYOUTS",
    "FeatureTableStore",
    "StoredTable",
    "TableContent",
    "TableLocation",
    "content_of",
]
