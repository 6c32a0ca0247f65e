"""Latest features to five evaluated models, their metrics and the training summary."""

from criptos.pipelines.training.pipeline import create_pipeline

__all__ = ["create_pipeline"]
