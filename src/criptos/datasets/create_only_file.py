"""A file dataset of raw bytes that writes its file once and never replaces it."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import fsspec
from kedro.io.core import (
    AbstractDataset,
    DatasetError,
    get_filepath_str,
    get_protocol_and_path,
)

logger = logging.getLogger(__name__)


class CreateOnlyFileDataset(AbstractDataset[bytes, bytes]):
    """Saves bytes only when the target does not exist yet; an existing file is kept.

    Seeds ``raw.csv`` on a fresh project without ever overwriting data a user brought
    in. On the local disk the bytes go to a temporary file beside the target that is
    then hard-linked into place, which fails if the target appeared meanwhile: a
    crash or a concurrent writer never leaves a half-written or replaced file. On other
    filesystems (S3) one ``put`` writes the object, which is atomic there.

    Example catalog entry::

        sample_raw_candles:
          type: criptos.datasets.CreateOnlyFileDataset
          filepath: data/01_raw/raw.csv
    """

    def __init__(
        self,
        *,
        filepath: str,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        protocol, path = get_protocol_and_path(filepath)
        self._protocol = protocol
        self._filepath = PurePosixPath(path)
        self._fs = fsspec.filesystem(protocol, **(credentials or {}), **(fs_args or {}))
        self.metadata = metadata

    @property
    def _path(self) -> str:
        return get_filepath_str(self._filepath, self._protocol)

    def load(self) -> bytes:
        with self._fs.open(self._path, mode="rb") as stream:
            return stream.read()

    def save(self, data: bytes) -> None:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise DatasetError(
                f"CreateOnlyFileDataset saves bytes, got {type(data).__name__}"
            )
        path = self._path
        if self._fs.exists(path):
            self._kept(path)
            return
        if self._protocol == "file":
            self._save_local(Path(path), bytes(data))
        else:
            self._fs.pipe_file(path, bytes(data))

    def _save_local(self, target: Path, data: bytes) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
        try:
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            try:
                os.link(temporary, target)
            except FileExistsError:
                self._kept(str(target))
            except OSError:  # no hard links on this filesystem: exclusive create
                self._save_exclusive(target, data)
        finally:
            Path(temporary).unlink(missing_ok=True)

    def _save_exclusive(self, target: Path, data: bytes) -> None:
        try:
            with target.open("xb") as stream:
                stream.write(data)
        except FileExistsError:
            self._kept(str(target))

    @staticmethod
    def _kept(path: str) -> None:
        logger.warning("%s already exists: left untouched, nothing written", path)

    def _exists(self) -> bool:
        return bool(self._fs.exists(self._path))

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._filepath, "protocol": self._protocol}
