"""Data files shipped with the package: the real 7-coin candles (see README.md here).

Read them through ``importlib.resources`` (``criptos.datasets.PackagedFileDataset``,
catalog entry ``embedded_raw_candles``), never through a path of the source tree.
"""
