"""The artifacts of one complete training run, read together (what the export reads).

Kedro writes every versioned dataset of one session under the same save version,
``<filepath>/<version>/<file>``. A training run that failed or was killed leaves some
of its members under its version and not others, so loading each dataset's newest
version on its own can mix two runs: a new ``classifier_log`` beside the old metrics,
or horizon-3 models beside horizon-1 scores. This dataset lists the versions of every
member, keeps the runs that every member has (the complete ones), and loads one of
them whole: the newest, or the one asked for.

Example catalog entry (the member paths are those of the versioned entries)::

    training_run:
      type: criptos.datasets.TrainingRunDataset
      members:
        training_metrics: ${globals:paths.reporting}/metrics.json
        regressor_lin: ${globals:paths.models}/regressor_lin.joblib
"""

from __future__ import annotations

import json
import posixpath
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

import fsspec
from kedro.io.core import AbstractDataset, DatasetError, get_protocol_and_path

from criptos.contracts.errors import InputError
from criptos.contracts.model_bundle import load_model

READERS = {
    ".json": json.loads,
    ".joblib": load_model,
}


class TrainingRunError(InputError, DatasetError):
    """No complete training run to read, or not the one asked for."""


@dataclass(frozen=True)
class TrainingRun:
    """One run's identity (Kedro's save version) and its loaded members by name."""

    run: str
    artifacts: dict[str, Any]


class TrainingRuns:
    """The runs found under the members' folders; ``load`` reads one of them."""

    def __init__(self, dataset: TrainingRunDataset, found: dict[str, set[str]]):
        self._dataset = dataset
        self._found = found
        every = set().union(*found.values()) if found else set()
        self.complete: list[str] = sorted(
            run for run in every if all(run in runs for runs in found.values())
        )
        self.incomplete: dict[str, list[str]] = {
            run: sorted(name for name, runs in found.items() if run not in runs)
            for run in sorted(every - set(self.complete))
        }

    def newer_incomplete(self, run: str) -> dict[str, list[str]]:
        """Incomplete runs newer than ``run``, each with the members it lacks."""
        return {other: lacks for other, lacks in self.incomplete.items() if other > run}

    def load(self, run: str | None = None) -> TrainingRun:
        """Run ``run``, or the newest complete one; every member read from it."""
        if run is None:
            if not self.complete:
                raise TrainingRunError(
                    "no complete training run to export: "
                    + self._dataset.describe_incomplete(self.incomplete)
                    + "; run `kedro run --pipelines training` first"
                )
            run = self.complete[-1]
        elif run not in self.complete:
            state = (
                f"incomplete (missing {', '.join(self.incomplete[run])})"
                if run in self.incomplete
                else "not found"
            )
            raise TrainingRunError(
                f"training run {run!r} is {state}; complete runs: "
                f"{', '.join(self.complete) or 'none'}"
            )
        return TrainingRun(run=run, artifacts=self._dataset.read_run(run))


class TrainingRunDataset(AbstractDataset[None, TrainingRuns]):
    """Read-only view of the versioned training artifacts as whole runs."""

    def __init__(
        self,
        *,
        members: dict[str, str],
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if not members:
            raise DatasetError("TrainingRunDataset needs at least one member")
        self._members: dict[str, tuple[str, str]] = {}
        protocols = set()
        for name, filepath in members.items():
            protocol, path = get_protocol_and_path(str(filepath))
            extension = posixpath.splitext(path)[1]
            if extension not in READERS:
                raise DatasetError(
                    f"training run member {name}: cannot read {extension!r} files "
                    f"(known: {', '.join(READERS)})"
                )
            protocols.add(protocol)
            self._members[name] = (path, str(filepath))
        if len(protocols) != 1:
            raise DatasetError("training run members must share one file system")
        self._protocol = protocols.pop()
        self._fs = fsspec.filesystem(
            self._protocol, **deepcopy(credentials or {}), **deepcopy(fs_args or {})
        )
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"members": {name: uri for name, (_, uri) in self._members.items()}}

    def _runs_of(self, path: str) -> set[str]:
        self._fs.invalidate_cache(path)
        try:
            files = self._fs.glob(posixpath.join(path, "*", posixpath.basename(path)))
        except FileNotFoundError:
            return set()
        return {posixpath.basename(posixpath.dirname(file)) for file in files}

    def load(self) -> TrainingRuns:
        return TrainingRuns(
            self,
            {name: self._runs_of(path) for name, (path, _) in self._members.items()},
        )

    def read_run(self, run: str) -> dict[str, Any]:
        """Every member of ``run``, parsed (JSON) or unpickled (joblib)."""
        artifacts = {}
        for name, (path, uri) in self._members.items():
            file = posixpath.join(path, run, posixpath.basename(path))
            try:
                data = self._fs.cat_file(file)
                artifacts[name] = READERS[posixpath.splitext(path)[1]](data)
            except FileNotFoundError:
                raise TrainingRunError(
                    f"training run {run}: {uri} has no version {run} any more"
                ) from None
            except (ValueError, EOFError) as error:
                raise TrainingRunError(
                    f"training run {run}: cannot read {name} ({uri}): {error}"
                ) from None
        return artifacts

    def describe_incomplete(self, incomplete: dict[str, list[str]]) -> str:
        if not incomplete:
            return "no training artifacts found under " + ", ".join(
                uri for _, uri in self._members.values()
            )
        newest = max(incomplete)
        return (
            f"{len(incomplete)} incomplete run(s), the newest {newest} lacks "
            + ", ".join(incomplete[newest])
        )

    def save(self, data: None) -> None:
        raise DatasetError(
            "TrainingRunDataset is read-only: training writes the members"
        )
