"""The artifacts of one complete training run, read together (what the export reads).

Kedro writes every versioned dataset of one session under the same save version,
``<filepath>/<version>/<file>``. A training run that failed or was killed leaves some
of its members under its version and not others, so loading each dataset's newest
version on its own can mix two runs: a new ``classifier_log`` beside the old metrics,
or horizon-3 models beside horizon-1 scores. This dataset lists the versions of every
member, keeps the runs that have every member and every model their seal lists (the
complete ones), and loads one of them whole: the newest, or the one asked for.

Example catalog entry (the paths are those of the versioned entries; each model is
``<models>/<name>.joblib``, the names are those the run's seal lists)::

    training_run:
      type: criptos.datasets.TrainingRunDataset
      members:
        training_run_seal: ${globals:paths.reporting}/training_run_seal.json
        training_metrics: ${globals:paths.reporting}/metrics.json
      optional_members:
        backtest_report: ${globals:paths.reporting}/backtest.json
      models: ${globals:paths.models}

An optional member is read when the run has it (``artifacts`` lacks it otherwise);
it never makes a run incomplete.
"""

from __future__ import annotations

import json
import posixpath
from copy import deepcopy
from dataclasses import dataclass, field
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


MODEL_SUFFIX = ".joblib"


@dataclass(frozen=True)
class TrainingRun:
    """One run's identity (Kedro's save version), its loaded members and models."""

    run: str
    artifacts: dict[str, Any]
    models: dict[str, Any] = field(default_factory=dict)


class TrainingRuns:
    """The runs found under the members' folders; ``load`` reads one of them."""

    def __init__(
        self,
        dataset: TrainingRunDataset,
        complete: list[str],
        incomplete: dict[str, list[str]],
    ):
        self._dataset = dataset
        self.complete = complete
        self.incomplete = incomplete

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
        artifacts = self._dataset.read_run(run)
        return TrainingRun(
            run=run, artifacts=artifacts, models=self._dataset.read_models(run)
        )


class TrainingRunDataset(AbstractDataset[None, TrainingRuns]):
    """Read-only view of the versioned training artifacts as whole runs."""

    def __init__(  # noqa: PLR0913
        self,
        *,
        members: dict[str, str],
        optional_members: dict[str, str] | None = None,
        models: str | None = None,
        seal: str = "training_run_seal",
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if not members:
            raise DatasetError("TrainingRunDataset needs at least one member")
        if models is not None and seal not in members:
            raise DatasetError(
                f"TrainingRunDataset: the models are those the seal lists, so the "
                f"members need the seal {seal!r}"
            )
        self._members: dict[str, tuple[str, str]] = {}
        protocols = set()
        for name, filepath in {
            **members,
            **(optional_members or {}),
            **({"models": models} if models else {}),
        }.items():
            protocol, path = get_protocol_and_path(str(filepath))
            extension = posixpath.splitext(path)[1]
            if name != "models" and extension not in READERS:
                raise DatasetError(
                    f"training run member {name}: cannot read {extension!r} files "
                    f"(known: {', '.join(READERS)})"
                )
            protocols.add(protocol)
            self._members[name] = (path, str(filepath))
        if len(protocols) != 1:
            raise DatasetError("training run members must share one file system")
        self._models = self._members.pop("models", None)
        self._optional = {
            name: self._members.pop(name) for name in (optional_members or {})
        }
        self._seal = seal
        self._protocol = protocols.pop()
        self._fs = fsspec.filesystem(
            self._protocol, **deepcopy(credentials or {}), **deepcopy(fs_args or {})
        )
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {
            "members": {name: uri for name, (_, uri) in self._members.items()},
            "optional_members": {
                name: uri for name, (_, uri) in self._optional.items()
            },
            "models": self._models[1] if self._models else None,
        }

    def _runs_of(self, path: str) -> set[str]:
        self._fs.invalidate_cache(path)
        try:
            files = self._fs.glob(posixpath.join(path, "*", posixpath.basename(path)))
        except FileNotFoundError:
            return set()
        return {posixpath.basename(posixpath.dirname(file)) for file in files}

    def _model_runs(self) -> dict[str, set[str]]:
        """Model name -> the runs that saved it, from one listing of the models folder."""
        if self._models is None:
            return {}
        root = self._models[0]
        self._fs.invalidate_cache(root)
        runs: dict[str, set[str]] = {}
        try:
            files = self._fs.glob(posixpath.join(root, f"*{MODEL_SUFFIX}", "*", "*"))
        except FileNotFoundError:
            return runs
        for file in files:
            folder, run, name = file.rsplit("/", 3)[-3:]
            if name == folder and name.endswith(MODEL_SUFFIX):
                runs.setdefault(name.removesuffix(MODEL_SUFFIX), set()).add(run)
        return runs

    def load(self) -> TrainingRuns:
        found = {name: self._runs_of(path) for name, (path, _) in self._members.items()}
        model_runs = self._model_runs()
        every = set().union(*found.values(), *model_runs.values())
        complete, incomplete = [], {}
        for run in sorted(every):
            lacks = sorted(name for name, runs in found.items() if run not in runs)
            if not lacks and self._models is not None:
                lacks = [
                    f"model {name}"
                    for name in self.sealed_models(run)
                    if run not in model_runs.get(name, set())
                ]
            if lacks:
                incomplete[run] = lacks
            else:
                complete.append(run)
        return TrainingRuns(self, complete, incomplete)

    def _file(self, path: str, run: str) -> str:
        return posixpath.join(path, run, posixpath.basename(path))

    def _read(self, name: str, path: str, uri: str, run: str) -> Any:
        try:
            data = self._fs.cat_file(self._file(path, run))
            return READERS[posixpath.splitext(path)[1]](data)
        except FileNotFoundError:
            raise TrainingRunError(
                f"training run {run}: {uri} has no version {run} any more"
            ) from None
        except (ValueError, EOFError) as error:
            raise TrainingRunError(
                f"training run {run}: cannot read {name} ({uri}): {error}"
            ) from None

    def sealed_models(self, run: str) -> list[str]:
        """The models the seal of ``run`` lists."""
        path, uri = self._members[self._seal]
        models = self._read(self._seal, path, uri, run).get("models")
        if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
            raise TrainingRunError(
                f"training run {run}: its seal ({uri}) lists no models: {models!r}"
            )
        return models

    def read_run(self, run: str) -> dict[str, Any]:
        """Every member of ``run``, parsed (JSON) or unpickled (joblib), and the
        optional members it has."""
        artifacts = {
            name: self._read(name, path, uri, run)
            for name, (path, uri) in self._members.items()
        }
        for name, (path, uri) in self._optional.items():
            if self._fs.exists(self._file(path, run)):
                artifacts[name] = self._read(name, path, uri, run)
        return artifacts

    def read_models(self, run: str) -> dict[str, Any]:
        """The models the seal of ``run`` lists, unpickled (none without ``models``)."""
        if self._models is None:
            return {}
        root, uri = self._models
        return {
            name: self._read(
                name,
                posixpath.join(root, name + MODEL_SUFFIX),
                f"{uri}/{name}{MODEL_SUFFIX}",
                run,
            )
            for name in self.sealed_models(run)
        }

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
