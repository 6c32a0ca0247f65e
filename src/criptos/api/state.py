"""The immutable state the service answers from, swapped as one reference.

An answer's ``age_days`` and ``stale`` depend on the day it is asked: each asset's
answer is rendered to JSON once per UTC day and kept until the day changes, so a
request stays a lookup.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from criptos.api.caveats import Unpredictable
from criptos.api.redaction import without_paths
from criptos.api.schemas import PredictionResponse

_LISTED_CODES = 20
_CLOSEST = 3


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class ServingPolicy:
    """When an answer is stale and when an asset is refused (CRIPTOS_API_* settings)."""

    stale_after_days: int = 3
    max_missing_inputs_share: float = 0.1


@dataclass(frozen=True)
class AssetServing:
    """One asset of the latest features: its answer, or why it has none."""

    ativo: str
    as_of: date
    answer: PredictionResponse | None  # age_days and stale are set when asked
    refusal: Unpredictable | None = None


@dataclass(frozen=True)
class FeaturesInUse:
    """The feature table the answers were computed from."""

    fingerprint: str | None
    loaded_at: datetime
    as_of: date | None


class AssetNotServed(Exception):
    """A request the state cannot answer; the message is the same for REST, GraphQL
    and the command line."""

    def __init__(self, status: int, message: str, days_needed: int | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.days_needed = days_needed


def unknown_asset_message(code: str, known: list[str]) -> str:
    """Names the closest known codes, and all of them when there are few."""
    message = f"unknown asset: {code}"
    closest = difflib.get_close_matches(code, known, n=_CLOSEST, cutoff=0.5)
    if closest:
        message += f" (did you mean {', '.join(closest)}?)"
    if len(known) <= _LISTED_CODES:
        message += f"; known assets: {', '.join(known)}"
    return message


@dataclass(frozen=True)
class ServingState:
    """One loaded model version with the answers of the latest features."""

    version: str
    manifest: Mapping[str, Any]
    loaded_at: datetime
    models: Mapping[str, Any]
    features: FeaturesInUse
    policy: ServingPolicy = ServingPolicy()
    assets: Mapping[str, AssetServing] = field(default_factory=dict)
    public_manifest: dict[str, Any] = field(init=False, repr=False, compare=False)
    _bodies: dict[str, bytes] = field(init=False, repr=False, compare=False)
    _bodies_day: list[date | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "manifest", _frozen(self.manifest))
        object.__setattr__(self, "models", _frozen(self.models))
        object.__setattr__(self, "assets", _frozen(self.assets))
        object.__setattr__(self, "public_manifest", without_paths(self.manifest))
        object.__setattr__(self, "_bodies", {})
        object.__setattr__(self, "_bodies_day", [None])

    def answer(self, code: str, today: date) -> PredictionResponse:
        """The answer for ``code`` (any case) as of ``today``; raises AssetNotServed."""
        served = self.assets.get(code.upper())
        if served is None:
            raise AssetNotServed(
                404, unknown_asset_message(code.upper(), list(self.assets))
            )
        if served.answer is None:
            refusal = served.refusal or Unpredictable(
                f"asset {served.ativo} is refused"
            )
            raise AssetNotServed(422, refusal.message, refusal.days_needed)
        age = (today - served.as_of).days
        return served.answer.model_copy(
            update={"age_days": age, "stale": age > self.policy.stale_after_days}
        )

    def body(self, code: str, today: date) -> bytes:
        """``answer`` as JSON bytes, rendered once per asset and day."""
        if self._bodies_day[0] != today:
            self._bodies.clear()
            self._bodies_day[0] = today
        key = code.upper()
        body = self._bodies.get(key)
        if body is None:
            body = self.answer(key, today).model_dump_json().encode()
            self._bodies[key] = body
        return body


@dataclass(frozen=True)
class ReloadError:
    """Why a version was refused; ``message`` is safe to show to any client."""

    version: str | None
    stage: str
    message: str
    at: datetime
    fingerprint: str | None = None  # of the feature table refused (stage features)
