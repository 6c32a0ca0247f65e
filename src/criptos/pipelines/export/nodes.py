"""Nodes of the export pipeline: the manifest, the publish policy, the bundle."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from criptos.contracts.model_bundle import ModelBundle, PublishPolicy, make_version
from criptos.datasets.training_run import TrainingRuns
from criptos.pipelines.export.params import ExportParams
from criptos.pipelines.export.provenance import (
    git_commit,
    library_versions,
    package_version,
)

logger = logging.getLogger(__name__)


class ExportError(ValueError):
    """The trained models and their training reports do not agree."""


def _estimator_path(model: Any) -> str:
    """Class path of the final estimator of ``model`` (the last step of a Pipeline)."""
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    return f"{type(final).__module__}.{type(final).__qualname__}"


def _check_model(
    name: str, model: Any, entry: dict[str, Any], columns: list[str]
) -> None:
    """Refuse a model whose inputs differ from the summary; warn on another estimator."""
    fitted_columns = getattr(model, "feature_names_in_", None)
    if fitted_columns is not None and list(fitted_columns) != columns:
        raise ExportError(
            f"model {name} was fitted on columns {list(fitted_columns)} but the training "
            f"summary lists {columns}: the artifacts come from different runs"
        )
    found = _estimator_path(model)
    expected = str(entry.get("estimator", ""))
    if expected and found.rsplit(".", 1)[-1] != expected.rsplit(".", 1)[-1]:
        logger.warning(
            "model %s: summary says %s, the fitted model ends in %s",
            name,
            expected,
            found,
        )


def model_entries(
    summary: dict[str, Any], models: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Per model ``task``, ``target`` and ``estimator`` (the registry adds file and sha256)."""
    described = summary.get("models", {})
    missing = sorted(set(models) - set(described))
    if missing:
        raise ExportError(f"training summary does not describe model(s) {missing}")
    columns = [column["name"] for column in summary["feature_columns"]]
    entries = {}
    for name, model in models.items():
        entry = described[name]
        _check_model(name, model, entry, columns)
        entries[name] = {
            "task": entry["task"],
            "target": entry["target"],
            "estimator": entry.get("estimator") or _estimator_path(model),
        }
    return entries


def model_metrics(
    metrics: dict[str, Any], names: list[str]
) -> dict[str, dict[str, Any]]:
    """``{name: {task, cv, verdict, holdout_verdict, beats_baseline}}`` from metrics.json.

    The verdicts are copied as training wrote them (``criptos.modeling.verdict``), so
    the manifest, the training summary and the API show the same object;
    ``beats_baseline`` is the walk-forward verdict's.
    """
    reported = metrics.get("models", {})
    missing = [name for name in names if name not in reported]
    if missing:
        raise ExportError(f"training metrics have no scores for model(s) {missing}")
    untested = [name for name in names if "verdict" not in reported[name]]
    if untested:
        raise ExportError(
            f"training metrics have no tested verdict for model(s) {untested} (a "
            "metrics.json from an older training run?); run `kedro run --pipelines "
            "training` again"
        )
    return {
        name: {
            "task": reported[name].get("task"),
            "cv": reported[name].get("cv"),
            "verdict": reported[name]["verdict"],
            "holdout_verdict": (reported[name].get("holdout") or {}).get("verdict"),
            "beats_baseline": bool(reported[name]["verdict"]["beats_baseline"]),
        }
        for name in names
    }


def training_range(summary: dict[str, Any]) -> dict[str, Any]:
    """``{rows, assets, start, end}`` of the labelled rows the models were fitted on."""
    data = summary.get("training_data", {})
    return {
        "rows": data.get("rows"),
        "assets": data.get("assets"),
        "start": data.get("date_start", data.get("start")),
        "end": data.get("date_end", data.get("end")),
    }


def build_manifest(
    summary: dict[str, Any],
    metrics: dict[str, Any],
    models: dict[str, Any],
    features_file: str,
    now: datetime,
) -> dict[str, Any]:
    """The manifest of a new version (see ``criptos.contracts.model_bundle``), without sha256."""
    now = now.astimezone(UTC)
    names = sorted(models)
    return {
        "version": make_version(now),
        "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "horizon_days": int(summary["horizon"]),
        "models": model_entries(summary, models),
        "feature_columns": [
            {"name": column["name"], "dtype": column["dtype"]}
            for column in summary["feature_columns"]
        ],
        "training": training_range(summary),
        "metrics": model_metrics(metrics, names),
        "features_file": features_file,
        "package_version": package_version(),
        "git_commit": git_commit(),
        "versions": library_versions(),
    }


BACKTEST_STRATEGY = "long_flat"


def attach_backtest(
    manifest: dict[str, Any], report: dict[str, Any] | None, run: str
) -> None:
    """Each model's hold-out net Sharpe of ``long_flat`` beside its verdict
    (``metrics.<model>.holdout_net_sharpe``), from the backtest of the same run."""
    if report is None:
        logger.info(
            "Training run %s has no backtest (run the backtest pipeline in the same "
            "kedro run as the training): no hold-out Sharpe in the manifest",
            run,
        )
        return
    strategy = report.get("strategies", {}).get(BACKTEST_STRATEGY, {})
    for name, scores in manifest["metrics"].items():
        holdout = (strategy.get(name) or {}).get("holdout") or {}
        scores["holdout_net_sharpe"] = (holdout.get("net") or {}).get("sharpe")
    holdout = (report.get("benchmarks", {}).get("buy_and_hold") or {}).get("holdout")
    manifest["backtest"] = {
        "strategy": BACKTEST_STRATEGY,
        **report.get("params", {}),
        # the bar each model's number is to be read against
        "buy_and_hold_holdout_net_sharpe": (holdout or {}).get("sharpe"),
    }


def publish_policy(manifest: dict[str, Any], export: ExportParams) -> PublishPolicy:
    """Whether latest moves (``require_beats_baseline``) and what to prune (``keep_last``)."""
    export = ExportParams.of(export)
    keep_last = export.keep_last
    losers = sorted(
        name
        for name, scores in manifest["metrics"].items()
        if not scores["beats_baseline"]
    )
    if export.require_beats_baseline and losers:
        reason = (
            f"require_beats_baseline is true and {', '.join(losers)} do(es) not beat "
            "the baseline (tested walk-forward verdict)"
        )
        return PublishPolicy(move_latest=False, keep_last=keep_last, reason=reason)
    if losers:
        logger.warning(
            "Publishing although %s do(es) not beat the baseline", ", ".join(losers)
        )
    return PublishPolicy(move_latest=True, keep_last=keep_last)


def _check_run_agrees(
    run: str, seal: dict[str, Any], summary: dict[str, Any], metrics: dict[str, Any]
) -> None:
    """The seal, the summary and the metrics of one run describe the same training."""
    described = {
        "seal": (seal.get("horizon"), seal.get("rows"), tuple(sorted(seal["models"]))),
        "summary": (
            summary.get("horizon"),
            summary.get("training_data", {}).get("rows"),
            tuple(sorted(summary.get("models", {}))),
        ),
        "metrics": (
            metrics.get("params", {}).get("horizon"),
            metrics.get("data", {}).get("rows"),
            tuple(sorted(metrics.get("models", {}))),
        ),
    }
    if len(set(described.values())) > 1:
        found = "; ".join(
            f"{name}: horizon {horizon}, {rows} rows, models {', '.join(models)}"
            for name, (horizon, rows, models) in described.items()
        )
        raise ExportError(
            f"training run {run}: its artifacts disagree ({found}); nothing published"
        )


def export_models(
    training_run: TrainingRuns,
    newest_seal: dict[str, Any],
    export: ExportParams,
) -> ModelBundle:
    """Bundle the models of one complete training run with their manifest.

    The run is ``export.run`` or the newest complete one; the models are those its
    seal lists, and its seal, summary, metrics and models must agree (models, horizon,
    rows, feature columns), or nothing is published. ``newest_seal`` (the newest
    run's seal) makes ``kedro run`` export after training.
    """
    export = ExportParams.of(export)
    if not newest_seal.get("models"):
        raise ExportError(
            f"the newest training run's seal lists no models: {newest_seal}"
        )
    run = training_run.load(export.run)
    for other, lacks in training_run.newer_incomplete(run.run).items():
        logger.warning(
            "Training run %s is incomplete (no %s): exporting run %s instead",
            other,
            ", ".join(lacks),
            run.run,
        )
    summary = run.artifacts["training_summary"]
    metrics = run.artifacts["training_metrics"]
    _check_run_agrees(run.run, run.artifacts["training_run_seal"], summary, metrics)
    models = run.models
    manifest = build_manifest(
        summary,
        metrics,
        models,
        features_file=export.features_file,
        now=datetime.now(UTC),
    )
    manifest["training_run"] = run.run
    attach_backtest(manifest, run.artifacts.get("backtest_report"), run.run)
    policy = publish_policy(manifest, export)
    logger.info(
        "Exporting %d models of training run %s as version %s (horizon %d d, %d "
        "feature columns)",
        len(models),
        run.run,
        manifest["version"],
        manifest["horizon_days"],
        len(manifest["feature_columns"]),
    )
    return ModelBundle(manifest=manifest, models=models, policy=policy)
