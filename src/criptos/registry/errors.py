"""What the registry raises; every message names the file or version concerned."""

from __future__ import annotations

from kedro.io.core import DatasetError

from criptos.contracts.model_bundle import SIGNING_KEY_ENV


class ModelRegistryError(DatasetError):
    """A registry operation failed; the message names the file or version concerned.

    A ``DatasetError``, so that Kedro reports it as the registry dataset's own error.
    """


class MissingRegistryFile(ModelRegistryError, FileNotFoundError):
    """A file the registry needs does not exist."""


class BundleSignatureError(ModelRegistryError):
    """A version refused because its manifest is not signed with the signing key.

    ``reason`` is ``"unsigned"`` or ``"signature does not match"``; the message names
    the version and the reason, and no path, so it may be shown to any client.
    """

    def __init__(self, version: str, reason: str) -> None:
        hint = (
            f"{SIGNING_KEY_ENV} is set, so every version must be signed with it"
            if reason == "unsigned"
            else f"not signed with the key in {SIGNING_KEY_ENV}, or changed since"
        )
        super().__init__(f"model version {version} refused: {reason} ({hint})")
        self.version = version
        self.reason = reason


def version_exists(version: str, where: str) -> ModelRegistryError:
    """The error of a save whose version already has a manifest at ``where``."""
    return ModelRegistryError(
        f"version {version} already exists at {where}; versions are immutable"
    )
