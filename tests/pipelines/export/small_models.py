"""Five small fitted sklearn models and training reports shaped like the real ones.

They stand in for the training pipeline's outputs in the export and registry tests:
real estimators (Pipelines fitted on a DataFrame, so they carry their column names),
fitted in well under a second.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import (
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from criptos.contracts.model_bundle import (
    VERSION_FORMAT,
    ModelBundle,
    PublishPolicy,
    dump_model,
)
from criptos.datasets.training_run import TrainingRunDataset
from criptos.pipelines.export.nodes import build_manifest

FEATURES = ("fechamento", "retorno_log_3", "volatilidade_5")
ESTIMATORS = {
    "regressor_lin": ("regression", LinearRegression),
    "regressor_gbr": ("regression", lambda: HistGradientBoostingRegressor(max_iter=10)),
    "regressor_rf": (
        "regression",
        lambda: RandomForestRegressor(n_estimators=5, random_state=0),
    ),
    "classifier_log": ("classification", LogisticRegression),
    "classifier_rf": (
        "classification",
        lambda: RandomForestClassifier(n_estimators=5, random_state=0),
    ),
}
TARGETS = {"regression": "retorno_alvo", "classification": "direcao_alvo"}
FIRST_VERSION_TIME = datetime(2026, 11, 27, 10, 15, tzinfo=UTC)


def feature_frame(rows: int = 200, seed: int = 0) -> pd.DataFrame:
    """Feature rows with the columns the small models use."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({name: rng.normal(size=rows) for name in FEATURES})


def fit_small_models(frame: pd.DataFrame | None = None) -> dict[str, Pipeline]:
    """The five models, fitted on ``frame`` (default: synthetic rows)."""
    frame = feature_frame() if frame is None else frame
    returns = 0.3 * frame[FEATURES[1]] + np.random.default_rng(1).normal(
        size=len(frame)
    )
    models = {}
    for name, (task, make) in ESTIMATORS.items():
        target = returns if task == "regression" else returns > 0
        models[name] = make_pipeline(StandardScaler(), make()).fit(
            frame[list(FEATURES)], target
        )
    return models


def estimator_path(name: str, models: dict[str, Pipeline]) -> str:
    final = models[name].steps[-1][1]
    return f"{type(final).__module__}.{type(final).__qualname__}"


def training_summary(models: dict[str, Pipeline]) -> dict[str, Any]:
    """A ``training_summary`` document as the training pipeline writes it."""
    return {
        "horizon": 1,
        "feature_columns": [
            {"name": name, "dtype": "float64", "kind": "numeric"} for name in FEATURES
        ],
        "training_data": {
            "rows": 200,
            "assets": ["BTC", "ETH"],
            "date_start": "2021-01-01",
            "date_end": "2021-04-10",
        },
        "models": {
            name: {
                "task": task,
                "target": TARGETS[task],
                "estimator": estimator_path(name, models),
            }
            for name, (task, _) in ESTIMATORS.items()
        },
    }


def verdict(beats: bool) -> dict[str, Any]:
    """A tested verdict in the shape training writes (criptos.modeling.verdict)."""
    return {
        "metric": "mse",
        "baseline": "zero",
        "model_loss": 0.9 if beats else 1.1,
        "baseline_loss": 1.0,
        "difference": -0.1 if beats else 0.1,
        "statistic": -3.0 if beats else 3.0,
        "p_value": 0.003,
        "p_value_adjusted": 0.01,
        "beats_baseline": beats,
    }


def training_metrics(beats: bool = True) -> dict[str, Any]:
    """A ``metrics.json`` document; every model beats its baseline or none does."""
    return {
        "models": {
            name: {
                "task": task,
                "cv": {"score": 0.6 if beats else 0.4},
                "verdict": verdict(beats),
                "holdout": {"verdict": verdict(False)},
            }
            for name, (task, _) in ESTIMATORS.items()
        },
        "folds": [],
        "data": {"rows": 200},
        "params": {"horizon": 1},
    }


def training_seal(models: dict[str, Pipeline]) -> dict[str, Any]:
    """The seal a complete training run saves last."""
    return {"models": sorted(models), "horizon": 1, "rows": 200}


RUN = "2026-11-27T10.00.00.000Z"
REPORT_FILES = {
    "training_run_seal": "reporting/training_run_seal.json",
    "training_metrics": "reporting/metrics.json",
    "training_summary": "reporting/training_summary.json",
}
BACKTEST_FILE = "reporting/backtest.json"
MEMBER_FILES = {
    **REPORT_FILES,
    **{name: f"models/{name}.joblib" for name in ESTIMATORS},
}


def training_run_dataset(root: Path) -> TrainingRunDataset:
    """The ``training_run`` entry over ``root`` (the catalog's layout)."""
    return TrainingRunDataset(
        members={name: str(root / path) for name, path in REPORT_FILES.items()},
        optional_members={"backtest_report": str(root / BACKTEST_FILE)},
        models=str(root / "models"),
    )


def write_training_run(
    root: Path,
    models: dict[str, Pipeline],
    run: str = RUN,
    skip: tuple[str, ...] = (),
    **documents: dict[str, Any],
) -> None:
    """Save one run's artifacts as Kedro's versioned datasets lay them out.

    ``documents`` replace the default summary, metrics or seal; members named in
    ``skip`` are not written (a run that failed before saving them).
    """
    contents: dict[str, Any] = {
        "training_run_seal": training_seal(models),
        "training_metrics": training_metrics(),
        "training_summary": training_summary(models),
        **models,
        **documents,
    }
    for name, path in MEMBER_FILES.items():
        if name in skip:
            continue
        target = root / path / run / Path(path).name
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.endswith(".json"):
            target.write_text(json.dumps(contents[name]))
        else:
            target.write_bytes(dump_model(contents[name]))


def small_bundle(
    models: dict[str, Pipeline],
    index: int = 0,
    policy: PublishPolicy | None = None,
    beats: bool = True,
) -> ModelBundle:
    """Version number ``index`` (one minute apart) of a bundle of ``models``."""
    moment = FIRST_VERSION_TIME + timedelta(minutes=index)
    manifest = build_manifest(
        training_summary(models),
        training_metrics(beats),
        models,
        features_file="features/cripto_features_20261127.parquet",
        now=moment,
    )
    # Export names versions with a random suffix; tests need to know the name ahead.
    manifest["version"] = f"{moment.strftime(VERSION_FORMAT)}-{index:04x}"
    return ModelBundle(
        manifest=manifest, models=models, policy=policy or PublishPolicy()
    )
