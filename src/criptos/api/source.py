"""Where versions come from: the project's Kedro catalog of the chosen environment.

The service never builds a path itself. The model registry dataset reads
``latest/manifest.json`` and ``<version>/`` under its root, and the features
dataset reads the latest feature file, both as configured in the project's
``catalog.yml``/``globals.yml`` of the environment (local disk, S3, ...). With
``CRIPTOS_REGISTRY_SIGNING_KEY`` set in the service's environment, the registry
refuses unsigned or wrongly signed versions; the refusal reaches ``/models`` as stage
``signature`` with its reason, and the version in use keeps serving.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from kedro.utils import find_kedro_project, is_kedro_project

from criptos.api.checks import BundleLike, VersionRefused
from criptos.api.predictions import FEATURE_METADATA_ATTR
from criptos.api.settings import Settings
from criptos.datasets.locations import table_location
from criptos.feature_store import TableLocation
from criptos.registry import BundleSignatureError

logger = logging.getLogger(__name__)


class ProjectNotFound(RuntimeError):
    """The working directory (or --project-path) is not inside a Kedro project."""


class ModelSource(Protocol):
    """The reads the service needs; tests may inject their own."""

    def latest_manifest(self) -> Mapping[str, Any] | None:
        """The manifest ``latest`` points at, or None before any export."""

    def load_version(self, version: str) -> BundleLike:
        """The verified bundle of one version."""

    def features_fingerprint(self) -> str | None:
        """A cheap digest of the latest feature table that changes when it is replaced
        (None when it cannot be told: the features are then read with a new version)."""

    def load_features(self) -> pd.DataFrame:
        """The latest feature table; ``attrs[FEATURE_METADATA_ATTR]`` holds what the
        table records of its making (its feature parameters), when it does."""


def find_project(project_path: Path | None) -> Path:
    """The Kedro project root: ``project_path`` or the working directory's project."""
    if project_path is not None:
        root = project_path.expanduser().resolve()
        if not is_kedro_project(root):
            raise ProjectNotFound(
                f"{root} is not a Kedro project (no [tool.kedro] in pyproject.toml)"
            )
        return root
    found = find_kedro_project(Path.cwd())
    if found is None:
        raise ProjectNotFound(
            "no Kedro project in the working directory or its parents; use --project-path"
        )
    return Path(found).resolve()


class KedroModelSource:
    """Reads manifests, bundles and features through one Kedro catalog."""

    def __init__(
        self, catalog: Any, registry_dataset: str, features_dataset: str
    ) -> None:
        missing = [
            name for name in (registry_dataset, features_dataset) if name not in catalog
        ]
        if missing:
            raise KeyError(f"catalog has no entry {', '.join(missing)}")
        self._catalog = catalog
        self._registry = catalog[registry_dataset]
        self._features_dataset = features_dataset
        try:
            self._features: TableLocation | None = table_location(
                catalog[features_dataset]
            )
        except TypeError as error:
            logger.warning(
                "New features are read only with a new model version: %s", error
            )
            self._features = None

    @classmethod
    def from_settings(cls, settings: Settings) -> KedroModelSource:
        """Open the project's catalog of ``settings.env`` the way ``kedro run`` does."""
        root = find_project(settings.project_path)
        bootstrap_project(root)
        session = KedroSession.create(
            project_path=root,
            env=settings.env,
            conf_source=str(settings.conf_source) if settings.conf_source else None,
            runtime_params=dict(settings.params) or None,
            save_on_close=False,
        )
        context = session.load_context()
        logger.info(
            "Serving from Kedro project %s, environment %s",
            root,
            context.env or "default",
        )
        return cls(
            context.catalog, settings.registry_dataset, settings.features_dataset
        )

    def latest_manifest(self) -> Mapping[str, Any] | None:
        return self._registry.latest_manifest()

    def load_version(self, version: str) -> BundleLike:
        """The verified bundle; a signature refusal keeps its reason (it has no path)."""
        try:
            return self._registry.load_version(version)
        except BundleSignatureError as refused:
            raise VersionRefused("signature", str(refused)) from refused

    def features_fingerprint(self) -> str | None:
        return self._features.fingerprint() if self._features else None

    def load_features(self) -> pd.DataFrame:
        produced_by = (
            self._features.metadata().get(FEATURE_METADATA_ATTR)
            if self._features
            else None
        )
        features = self._catalog.load(self._features_dataset)
        if produced_by is not None:
            features.attrs[FEATURE_METADATA_ATTR] = produced_by
        return features
