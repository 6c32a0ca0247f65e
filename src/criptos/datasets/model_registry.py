"""The Kedro dataset of the model registry (catalog entry ``model_registry``).

A thin adapter: where versions go, in which order, and how they are read and
verified lives in ``criptos.registry`` (see its package doc and
``docs/registry_and_s3.md`` for what readers may rely on).
"""

from __future__ import annotations

from typing import Any

from kedro.io.core import AbstractDataset

from criptos.contracts.model_bundle import ModelBundle
from criptos.registry import publishing, reading
from criptos.registry.store import RegistryStore


class ModelRegistryDataset(AbstractDataset[ModelBundle, ModelBundle]):
    """Publishes and reads :class:`~criptos.contracts.model_bundle.ModelBundle` versions.

    ``save(bundle)`` writes one new version and, unless the bundle's policy says
    otherwise, moves ``latest`` to it and prunes old versions (``keep_last``).
    ``load()`` returns the bundle that ``latest/manifest.json`` names, with every
    model file checked against its sha256. ``latest_manifest()`` is the cheap poll.
    Errors are ``criptos.registry.ModelRegistryError`` (a ``DatasetError``).

    Example catalog entry::

        model_registry:
          type: criptos.datasets.ModelRegistryDataset
          path: ${globals:paths.model_registry}

    The root is given as ``path`` so that Kedro resolves a relative local root
    against the project folder, as it does for every ``filepath``.
    """

    def __init__(
        self,
        *,
        path: str,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        compress: int = 3,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._store = RegistryStore(path, credentials=credentials, fs_args=fs_args)
        self._compress = int(compress)
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"root": self._store.root_uri, "protocol": self._store.protocol}

    def latest_manifest(self) -> dict[str, Any] | None:
        """The manifest ``latest`` points to, or ``None`` when nothing is published."""
        return reading.latest_manifest(self._store)

    def versions(self) -> list[str]:
        """Complete versions (folders holding a manifest), oldest first; not ``latest``."""
        return reading.versions(self._store)

    def load_version(self, version: str) -> ModelBundle:
        """The bundle of ``version``: signature (when the key is set), then every
        sha256 checked before anything is unpickled."""
        return reading.load_version(self._store, version)

    def verify_version(self, version: str) -> dict[str, Any]:
        """Check ``version`` like ``load_version`` but unpickle nothing; its manifest."""
        return reading.verify_version(self._store, version)

    def load(self) -> ModelBundle:
        """The bundle of the version named by ``latest/manifest.json``."""
        return reading.load_latest(self._store)

    def _exists(self) -> bool:
        return self.latest_manifest() is not None

    def save(self, data: ModelBundle) -> None:
        """Publish ``data`` as a new version (``criptos.registry.publishing``)."""
        publishing.publish(self._store, data, compress=self._compress)
