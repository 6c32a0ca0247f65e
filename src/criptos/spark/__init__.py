"""Spark: the session of the ``spark`` environment."""
