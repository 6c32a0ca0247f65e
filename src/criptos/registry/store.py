"""Where a registry lives: its root on one fsspec file system, and the reads and
writes of single files that every part of the registry shares."""

from __future__ import annotations

import json
import posixpath
from copy import deepcopy
from pathlib import Path
from typing import Any

import fsspec
from kedro.io.core import get_protocol_and_path

from criptos.registry.errors import MissingRegistryFile, ModelRegistryError


class RegistryStore:
    """The root of a registry (a local folder or an object-store prefix).

    ``path`` is a local path or a URI such as ``s3://bucket/models``; ``credentials``
    and ``fs_args`` go to ``fsspec.filesystem`` as in Kedro's own datasets.
    """

    def __init__(
        self,
        path: str,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
    ) -> None:
        protocol, root = get_protocol_and_path(path)
        self.protocol = protocol
        self.root = root.rstrip("/")
        self.root_uri = str(path).rstrip("/")
        self.fs = fsspec.filesystem(
            protocol, **deepcopy(credentials or {}), **deepcopy(fs_args or {})
        )

    @property
    def is_local(self) -> bool:
        """Whether the root is a folder on the local disk (which can rename folders)."""
        return self.protocol == "file"

    @property
    def local_root(self) -> Path:
        """The root as a local ``Path`` (local disk only)."""
        return Path(self.root)

    def path(self, *parts: str) -> str:
        """The file system path of ``parts`` under the root."""
        return posixpath.join(self.root, *parts)

    def uri(self, *parts: str) -> str:
        """``parts`` under the root as the user wrote it, for messages."""
        return posixpath.join(self.root_uri, *parts)

    def display(self, path: str) -> str:
        """A file system ``path`` with its protocol, for messages."""
        return path if self.is_local else f"{self.protocol}://{path}"

    def read(self, path: str) -> bytes:
        """The bytes of ``path``; ``MissingRegistryFile`` naming it when absent."""
        try:
            return self.fs.cat_file(path)
        except FileNotFoundError:
            raise MissingRegistryFile(f"{self.display(path)} does not exist") from None

    def read_json(self, path: str) -> Any:
        """``path`` parsed as JSON; ``ModelRegistryError`` naming it when it is not."""
        raw = self.read(path)
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelRegistryError(
                f"{self.display(path)} is not valid JSON: {exc}"
            ) from None

    def write(self, path: str, data: bytes) -> None:
        """Put one object (object stores only: the local disk builds whole folders).

        An object store publishes an object only once its upload completes, so
        readers see the old content or the new, never half.
        """
        self.fs.pipe_file(path, data)


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The content of a ``manifest.json`` (indented JSON, fields in their order)."""
    return (json.dumps(manifest, indent=2, sort_keys=False) + "\n").encode()
