"""criptos: the machine-learning lifecycle for crypto assets, as a Kedro project."""

__version__ = "0.1.0"
