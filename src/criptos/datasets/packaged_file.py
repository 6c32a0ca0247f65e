"""A read-only dataset of a data file shipped inside an installed Python package."""

from __future__ import annotations

import bz2
import gzip
import lzma
from collections.abc import Callable
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from kedro.io.core import AbstractDataset, DatasetError

# Suffix of the packaged file -> how its bytes are decompressed on load.
_DECOMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    ".gz": gzip.decompress,
    ".xz": lzma.decompress,
    ".bz2": bz2.decompress,
}


class PackagedFileDataset(AbstractDataset[None, bytes]):
    """Loads the bytes of ``resource`` inside ``package``, decompressed by its suffix.

    The file is found through ``importlib.resources``, so it loads the same from a
    source checkout, an editable install, a wheel or a zip: no path relative to the
    working directory. A ``.gz``, ``.xz`` or ``.bz2`` file is decompressed (pass
    ``decompress: false`` to get the stored bytes). Saving is refused: the file is
    part of the package.

    Example catalog entry::

        embedded_raw_candles:
          type: criptos.datasets.PackagedFileDataset
          package: criptos.data
          resource: crypto_daily_7coins.csv.gz
    """

    def __init__(
        self,
        *,
        resource: str,
        package: str = "criptos.data",
        decompress: bool = True,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        parts = [part for part in resource.replace("\\", "/").split("/") if part]
        if not parts or any(part in {".", ".."} for part in parts):
            raise DatasetError(
                f"PackagedFileDataset: resource must be a relative path inside the "
                f"package, got {resource!r}"
            )
        self._package = package
        self._resource = "/".join(parts)
        self._decompress = decompress
        self.metadata = metadata

    def _traversable(self) -> Traversable:
        try:
            root = resources.files(self._package)
        except ModuleNotFoundError as exc:
            raise DatasetError(
                f"package {self._package!r} of {self._resource} is not installed"
            ) from exc
        return root.joinpath(*self._resource.split("/"))

    def load(self) -> bytes:
        resource = self._traversable()
        if not resource.is_file():
            raise DatasetError(
                f"{self._resource} is missing from the installed package "
                f"{self._package!r}; reinstall it (`pip install -e .` or `make install`)"
            )
        data = resource.read_bytes()
        suffix = (
            "." + self._resource.rsplit(".", 1)[-1] if "." in self._resource else ""
        )
        if self._decompress and suffix in _DECOMPRESSORS:
            return _DECOMPRESSORS[suffix](data)
        return data

    def save(self, data: None) -> None:
        raise DatasetError(
            f"{self._package}/{self._resource} is a file of the installed package: "
            "it cannot be saved to"
        )

    def _exists(self) -> bool:
        try:
            return self._traversable().is_file()
        except DatasetError:
            return False

    def _describe(self) -> dict[str, Any]:
        return {
            "package": self._package,
            "resource": self._resource,
            "decompress": self._decompress,
        }
