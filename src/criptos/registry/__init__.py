"""The model registry: versioned model bundles on a local folder or an object store.

See ``criptos.contracts.model_bundle`` for the layout, the manifest and its signing;
``criptos.datasets.ModelRegistryDataset`` is the Kedro dataset (catalog entry
``model_registry``) over this package. A save writes the version folder complete
(models, then its manifest), then moves ``latest``. ``latest/manifest.json`` names
the version to trust, and a reader loads the models from ``<root>/<version>/``,
which never changes once its manifest exists. Version names are unique per save
(``make_version``), and a save never writes over a version that has a manifest.

Modules, one idea each:

- ``store``: the root on an fsspec file system; single-file reads and writes.
- ``reading``: the live manifest, the complete versions, one version verified
  (signature, then every sha256) before anything is unpickled.
- ``publishing``: a bundle to model files and a (signed) manifest; the order of a
  save.
- ``local``: the local disk's publication (hidden folders renamed in, ``latest``
  swapped by one atomic exchange).
- ``object_store``: S3 and other stores' publication (object by object, manifest
  last; the previous ``latest`` put back on any failure).
- ``retention``: ``keep_last``.
- ``leftovers``: removal of what dead saves left (stale only, never work in flight).
- ``errors``: what the registry raises.
"""

from criptos.registry.errors import (
    BundleSignatureError,
    MissingRegistryFile,
    ModelRegistryError,
)

__all__ = ["BundleSignatureError", "MissingRegistryFile", "ModelRegistryError"]
