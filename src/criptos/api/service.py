"""Load, validate and hot-swap model versions and features without blocking a request.

A check reads ``latest_manifest()``; when it names a version other than the one in
use, the version is loaded and validated in a worker thread and, only if everything
passed, the new ``ServingState`` replaces the old one by a single reference
assignment on the event loop. Requests read ``service.state`` once, so each of them
sees one whole version, old or new. A refused version is remembered so that polling
does not reload it every interval.

When the version is unchanged, the check compares the latest feature table's
fingerprint (a stat, or an S3 HEAD / listing: ``TableLocation.fingerprint``) with the
one the answers were computed from; a new table (the daily feature run) is read,
checked against the manifest's feature schema and predicted with the models already
loaded, then swapped in the same way: a new day is served within one poll interval
plus that computation. A table that fails keeps the old answers; its error shows in
``/models`` until a later check succeeds. ``check(force=True)`` (the admin endpoint)
loads whatever latest names, even a refused version or the one in use.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal, TypeVar

from criptos.api.checks import VersionRefused
from criptos.api.predictions import build_state
from criptos.api.schemas import PredictionResponse
from criptos.api.source import ModelSource
from criptos.api.state import AssetNotServed, ReloadError, ServingPolicy, ServingState

logger = logging.getLogger(__name__)

T = TypeVar("T")
Outcome = Literal["loaded", "refreshed", "unchanged", "refused", "no_version"]
NOT_READY = "no model version is loaded yet"


@dataclass(frozen=True)
class CheckResult:
    """What one check found; ``state`` is set only when a new version or new
    features passed."""

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
        policy: ServingPolicy | None = None,
    ) -> None:
        self.source = source
        self.poll_interval = poll_interval
        self.policy = policy or ServingPolicy()
        self.state: ServingState | None = None
        self._version_error: ReloadError | None = None  # latest names a refused version
        self._features_error: ReloadError | None = None  # of the refused feature table
        self._clock = clock
        self._lock = asyncio.Lock()

    def serving(self) -> ServingState:
        """The state in use; raises ``AssetNotServed`` (503) before the first load."""
        state = self.state
        if state is None:
            raise AssetNotServed(503, NOT_READY)
        return state

    def today(self) -> date:
        """The server's UTC date (what ``age_days`` counts to)."""
        return self._clock().date()

    def answer(self, code: str) -> PredictionResponse:
        """The answer for ``code`` today (UTC); raises ``AssetNotServed``."""
        return self.serving().answer(code, self.today())

    def body(self, code: str) -> bytes:
        """``answer`` as the JSON bytes of ``/predict`` (rendered once a day)."""
        return self.serving().body(code, self.today())

    async def check(self, force: bool = False) -> CheckResult:
        """Look at the latest manifest and features once; swap in what is new and valid."""
        async with self._lock:
            current = self.state
            result = await asyncio.to_thread(self._check_blocking, current, force)
            if result.state is not None:
                self.state = result.state  # the swap: one reference assignment
                self._log_swap(result.state, current)
            self._remember(result, current)
            return result

    @property
    def last_error(self) -> ReloadError | None:
        """Why the latest feature table or, else, the latest version is not served."""
        return self._features_error or self._version_error

    @property
    def _refused_version(self) -> str | None:
        return self._version_error.version if self._version_error else None

    @property
    def _refused_features(self) -> str | None:
        return self._features_error.fingerprint if self._features_error else None

    def _remember(self, result: CheckResult, current: ServingState | None) -> None:
        """Keep the errors true to the latest version and features.

        A refused version or feature table is remembered (not retried every poll);
        its error clears once latest names a version that serves (again), or once the
        refused features are replaced by ones that pass.
        """
        if result.outcome == "loaded":
            self._version_error = self._features_error = None
        elif result.outcome == "refreshed":
            self._features_error = None
        elif result.outcome == "unchanged":
            # latest names the version in use, and the features are those served
            self._version_error = self._features_error = None
        elif result.error is not None:
            served = current.version if current else None
            if result.error.stage == "features" and result.version == served:
                self._features_error = result.error
            else:
                self._version_error = result.error

    @staticmethod
    def _log_swap(state: ServingState, previous: ServingState | None) -> None:
        logger.info(
            "Serving model version %s (%d assets, features up to %s), previously %s",
            state.version,
            len(state.assets),
            state.features.as_of,
            f"{previous.version} up to {previous.features.as_of}"
            if previous
            else "none",
        )

    async def poll_forever(self) -> None:
        """Check now and then every ``poll_interval`` seconds until cancelled."""
        while True:
            try:
                await self.check()
            except Exception:  # the poller must survive anything
                logger.exception("Reload check failed unexpectedly")
            await asyncio.sleep(self.poll_interval)

    def _refuse(
        self,
        version: str | None,
        stage: str,
        message: str,
        fingerprint: str | None = None,
    ) -> CheckResult:
        logger.error("Refusing model version %s at %s: %s", version, stage, message)
        error = ReloadError(
            version=version,
            stage=stage,
            message=message,
            at=self._clock(),
            fingerprint=fingerprint,
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
            return self._refresh_features(current)
        if version == self._refused_version and not force:
            return self._still_refused(current, version)
        return self._load(version)

    def _still_refused(self, current: ServingState | None, version: str) -> CheckResult:
        """Latest still names a refused version: the version in use keeps serving,
        with the newest features."""
        if current is not None:
            refreshed = self._refresh_features(current)
            if refreshed.outcome != "unchanged":
                return refreshed
        return CheckResult(
            outcome="refused", version=version, error=self._version_error
        )

    def _fingerprint(self) -> str | None:
        return _guarded(
            "features",
            "could not look at the latest features",
            self.source.features_fingerprint,
        )

    def _refresh_features(self, current: ServingState) -> CheckResult:
        """Recompute the answers of the version in use when the feature table changed."""
        version = current.version
        fingerprint = None
        try:
            fingerprint = self._fingerprint()
            if fingerprint is None or fingerprint == current.features.fingerprint:
                return CheckResult(outcome="unchanged", version=version)
            if fingerprint == self._refused_features:  # not read again
                return CheckResult(
                    outcome="refused", version=version, error=self._features_error
                )
            logger.info("New latest features: recomputing the answers of %s", version)
            features = _guarded(
                "features",
                "could not read the latest features",
                self.source.load_features,
            )
            state = _guarded(
                "features",
                "the new features cannot be served",
                lambda: build_state(
                    _Bundle(current.manifest, current.models),
                    features,
                    self.policy,
                    fingerprint,
                    now=self._clock(),
                ),
            )
        except VersionRefused as refused:
            return self._refuse(version, "features", refused.message, fingerprint)
        return CheckResult(outcome="refreshed", version=version, state=state)

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
            fingerprint = self._fingerprint()
            features = _guarded(
                "features",
                "could not read the latest features",
                self.source.load_features,
            )
            state = _guarded(
                "validate",
                "validation failed",
                lambda: build_state(
                    bundle, features, self.policy, fingerprint, now=self._clock()
                ),
            )
        except VersionRefused as refused:
            return self._refuse(version, refused.stage, refused.message)
        return CheckResult(outcome="loaded", version=version, state=state)


@dataclass(frozen=True)
class _Bundle:
    """The bundle of the version in use, as kept by its state."""

    manifest: Any
    models: Any


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
