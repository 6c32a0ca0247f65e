"""Feature definitions and the window kernels they are built on."""

from criptos.features.definitions import compute_features
from criptos.features.params import FeatureParams

__all__ = ["FeatureParams", "compute_features"]
