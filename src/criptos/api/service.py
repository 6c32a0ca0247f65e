"""Load, validate and hot-swap model versions without ever blocking a request.

A check reads ``latest_manifest()``; when it names a version other than the one in
use, the version is loaded and validated in a worker thread and, only if everything
passed, the new ``ServingState`` replaces the old one by a single reference
assignment on the event loop. Requests read ``service.state`` once, so each of them
sees one whole version, old or new. A refused version is remembered so that polling
does not reload it every interval. ``check(force=True)`` (the admin endpoint) loads
whatever latest names, even a refused version or the one in use: that also picks up
newer features published without a new model version.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeVar

from criptos.api.predictions import VersionRefused, build_state
from criptos.api.source import ModelSource
from criptos.api.state import ReloadError, ServingState

logger = logging.getLogger(__name__)

T = TypeVar("T")
Outcome = Literal["loaded", "unchanged", "refused", "no_version"]


@dataclass(frozen=True)
class CheckResult:
    """What one check found; ``state`` is set only when a new version passed."""

    outcome: Outcome
    version: str | None
    state: ServingState | None = None
    error: ReloadError | None = None


def _now() -> datetime:
    return datetime.now(UTC)


class ModelService:
    """Holds the serving state and refreshes it from a ``ModelSource``."""

    def __init__(
        self,
        source: ModelSource,
        poll_interval: float,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.source = source
        self.poll_interval = poll_interval
        self.state: ServingState | None = None
        self.last_error: ReloadError | None = None
        self._refused_version: str | None = None
        self._clock = clock
        self._lock = asyncio.Lock()

    async def check(self, force: bool = False) -> CheckResult:
        """Look at the latest manifest once and swap in a new valid version."""
        async with self._lock:
            current = self.state
            result = await asyncio.to_thread(self._check_blocking, current, force)
            if result.state is not None:
                self.state = result.state  # the swap: one reference assignment
                self.last_error = None
                self._refused_version = None
                logger.info(
                    "Serving model version %s (%d assets), previously %s",
                    result.state.version,
                    len(result.state.assets),
                    current.version if current else "none",
                )
            elif result.error is not None:
                self.last_error = result.error
                self._refused_version = result.version
            return result

    async def poll_forever(self) -> None:
        """Check now and then every ``poll_interval`` seconds until cancelled."""
        while True:
            try:
                await self.check()
            except Exception:  # the poller must survive anything
                logger.exception("Reload check failed unexpectedly")
            await asyncio.sleep(self.poll_interval)

    def _refuse(self, version: str | None, stage: str, message: str) -> CheckResult:
        logger.error("Refusing model version %s at %s: %s", version, stage, message)
        error = ReloadError(
            version=version, stage=stage, message=message, at=self._clock()
        )
        return CheckResult(outcome="refused", version=version, error=error)

    def _check_blocking(self, current: ServingState | None, force: bool) -> CheckResult:
        """Everything slow of a check (I/O, unpickling, predicting), off the event loop."""
        try:
            manifest = _guarded(
                "manifest",
                "could not read the latest manifest",
                self.source.latest_manifest,
            )
        except VersionRefused as refused:
            return self._refuse(None, refused.stage, refused.message)
        if manifest is None:
            return CheckResult(outcome="no_version", version=None)
        version = manifest.get("version")
        if not isinstance(version, str) or not version:
            return self._refuse(None, "manifest", "the latest manifest has no version")
        if current is not None and version == current.version and not force:
            return CheckResult(outcome="unchanged", version=version)
        if version == self._refused_version and not force:
            return CheckResult(
                outcome="refused", version=version, error=self.last_error
            )
        return self._load(version)

    def _load(self, version: str) -> CheckResult:
        """Load, validate and render one version; never raises."""
        logger.info("Loading model version %s", version)
        try:
            bundle = _guarded(
                "models",
                "could not load the model files",
                lambda: self.source.load_version(version),
            )
            if bundle.manifest.get("version") != version:
                raise VersionRefused(
                    "manifest", "the version's manifest names another version"
                )
            features = _guarded(
                "features",
                "could not read the latest features",
                self.source.load_features,
            )
            state = _guarded(
                "validate",
                "validation failed",
                lambda: build_state(bundle, features, now=self._clock()),
            )
        except VersionRefused as refused:
            return self._refuse(version, refused.stage, refused.message)
        return CheckResult(outcome="loaded", version=version, state=state)


def _guarded(stage: str, failure: str, action: Callable[[], T]) -> T:
    """Run one step; an unexpected error becomes a refusal naming the step, not the file.

    The exception (which may hold paths) goes to the log only; ``VersionRefused``
    raised by the step itself passes through unchanged.
    """
    try:
        return action()
    except VersionRefused:
        raise
    except Exception as error:
        logger.warning("%s", failure, exc_info=True)
        raise VersionRefused(stage, f"{failure} ({type(error).__name__})") from error
