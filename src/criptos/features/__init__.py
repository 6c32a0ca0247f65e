"""Feature definitions and the window kernels they are built on."""

from criptos.features.definitions import compute_features
from criptos.features.history import AssetHistory
from criptos.features.params import FeatureParams

__all__ = ["AssetHistory", "FeatureParams", "compute_features"]
