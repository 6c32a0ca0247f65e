"""Trained models to one published, versioned model bundle (``model_registry``)."""

from criptos.pipelines.export.pipeline import create_pipeline

__all__ = ["create_pipeline"]
