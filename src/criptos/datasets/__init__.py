"""Custom Kedro datasets of the project."""

from criptos.datasets.atomic_parquet import AtomicParquetDataset
from criptos.datasets.create_only_file import CreateOnlyFileDataset
from criptos.datasets.model_registry import ModelRegistryDataset
from criptos.datasets.packaged_file import PackagedFileDataset
from criptos.datasets.previous_features import PreviousTableDataset
from criptos.datasets.raw_candles import RawCandlesDataset
from criptos.datasets.training_run import TrainingRunDataset

__all__ = [
    "AtomicParquetDataset",
    "CreateOnlyFileDataset",
    "ModelRegistryDataset",
    "PackagedFileDataset",
    "PreviousTableDataset",
    "RawCandlesDataset",
    "TrainingRunDataset",
]
