"""Trained models to one published, versioned model bundle (``model_registry``)."""
