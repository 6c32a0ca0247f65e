"""The immutable state the service answers from, swapped as one reference."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from criptos.api.redaction import without_paths


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class AssetServing:
    """What the service knows about one asset in one model version."""

    ativo: str
    as_of: date
    body: bytes  # the complete JSON answer of /predict, rendered once at load time


@dataclass(frozen=True)
class ServingState:
    """One loaded model version: manifest and every asset's rendered prediction."""

    version: str
    manifest: Mapping[str, Any]
    loaded_at: datetime
    assets: Mapping[str, AssetServing] = field(default_factory=dict)
    public_manifest: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "manifest", _frozen(self.manifest))
        object.__setattr__(self, "assets", _frozen(self.assets))
        object.__setattr__(self, "public_manifest", without_paths(self.manifest))


@dataclass(frozen=True)
class ReloadError:
    """Why a version was refused; ``message`` is safe to show to any client."""

    version: str | None
    stage: str
    message: str
    at: datetime
