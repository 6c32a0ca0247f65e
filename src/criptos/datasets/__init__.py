"""Custom Kedro datasets of the project."""

from criptos.datasets.atomic_parquet import AtomicParquetDataset
from criptos.datasets.create_only_csv import CreateOnlyCSVDataset
from criptos.datasets.model_registry import ModelRegistryDataset
from criptos.datasets.previous_features import PreviousFeaturesDataset
from criptos.datasets.raw_candles import RawCandlesDataset

__all__ = [
    "AtomicParquetDataset",
    "CreateOnlyCSVDataset",
    "ModelRegistryDataset",
    "PreviousFeaturesDataset",
    "RawCandlesDataset",
]
