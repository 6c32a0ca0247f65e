"""Tiny fitted model bundles for the API tests, published like the export does.

The models are real sklearn Pipelines (imputation, scaling, one-hot) fitted on
features that ``criptos.features.compute_features`` computes from the real candles,
so the service sees exactly the kinds of objects the training pipeline produces.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from criptos.contracts.model_bundle import (
    LATEST,
    MANIFEST_FILE,
    ModelBundle,
    PublishPolicy,
)
from criptos.datasets.model_registry import ModelRegistryDataset

HORIZON_DAYS = 1
TRAINING_ROWS_PER_ASSET = 150
ESTIMATORS: dict[str, tuple[str, Any]] = {
    "regressor_lin": ("regression", LinearRegression()),
    "regressor_gbr": (
        "regression",
        HistGradientBoostingRegressor(max_iter=5, max_leaf_nodes=7, random_state=0),
    ),
    "regressor_rf": (
        "regression",
        RandomForestRegressor(n_estimators=8, max_depth=4, random_state=0),
    ),
    "classifier_log": ("classification", LogisticRegression(max_iter=300)),
    "classifier_rf": (
        "classification",
        RandomForestClassifier(n_estimators=8, max_depth=4, random_state=0),
    ),
}


def feature_columns(features: pd.DataFrame) -> list[dict[str, str]]:
    """The model input columns (all but the date) with their dtypes, as the manifest lists them."""
    return [
        {"name": name, "dtype": str(features[name].dtype)}
        for name in features.columns
        if name != "data"
    ]


def _preprocessing(features: pd.DataFrame, names: list[str]) -> ColumnTransformer:
    text = [name for name in names if not pd.api.types.is_numeric_dtype(features[name])]
    numbers = [name for name in names if name not in text]
    return ColumnTransformer(
        [
            (
                "numbers",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                numbers,
            ),
            (
                "text",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="ausente"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                text,
            ),
        ]
    )


def labelled_rows(features: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The last rows of every asset with their next-day log return (label rows only)."""
    target = np.log(
        features.groupby("ativo")["fechamento"].shift(-HORIZON_DAYS)
        / features["fechamento"]
    )
    rows = features.assign(retorno_alvo=target).dropna(subset=["retorno_alvo"])
    rows = rows.groupby("ativo", sort=False).tail(TRAINING_ROWS_PER_ASSET)
    return rows, rows.pop("retorno_alvo")


def fit_models(features: pd.DataFrame) -> dict[str, Pipeline]:
    """The five named models, fitted on the real features."""
    rows, target = labelled_rows(features)
    names = [column["name"] for column in feature_columns(features)]
    fitted = {}
    for name, (task, estimator) in ESTIMATORS.items():
        label = target if task == "regression" else (target > 0)
        model = Pipeline(
            [("prep", _preprocessing(features, names)), ("model", estimator)]
        )
        fitted[name] = model.fit(rows[names], label)
    return fitted


def make_manifest(
    features: pd.DataFrame, version: str, **overrides: Any
) -> dict[str, Any]:
    """A complete manifest with every field the registry requires."""
    manifest = {
        "version": version,
        "created_at": f"{version[:4]}-{version[4:6]}-{version[6:8]}T00:00:00Z",
        "horizon_days": HORIZON_DAYS,
        "models": {
            name: {
                "task": task,
                "target": "retorno_alvo" if task == "regression" else "direcao_alvo",
                "estimator": f"{type(estimator).__module__}.{type(estimator).__name__}",
            }
            for name, (task, estimator) in ESTIMATORS.items()
        },
        "feature_columns": feature_columns(features),
        "training": {
            "rows": len(features),
            "assets": sorted(features["ativo"].unique()),
            "start": str(features["data"].min().date()),
            "end": str(features["data"].max().date()),
        },
        "metrics": {
            name: {
                "task": task,
                "cv": {},
                "verdict": {"beats_baseline": False},
                "holdout_verdict": None,
                "beats_baseline": False,
            }
            for name, (task, _) in ESTIMATORS.items()
        },
        "features_file": "cripto_features_latest.parquet",
        "package_version": "0.1.0",
        "git_commit": None,
        "versions": {},
    }
    manifest.update(overrides)
    return manifest


def publish(root: Path, bundle: ModelBundle) -> None:
    """Publish ``bundle`` with the project's registry dataset (latest moves last)."""
    ModelRegistryDataset(path=str(root)).save(bundle)


def publish_unlisted(root: Path, bundle: ModelBundle) -> Path:
    """Write the version folder only; ``point_latest`` makes it live later."""
    publish(root, replace(bundle, policy=PublishPolicy(move_latest=False)))
    return root / bundle.manifest["version"]


def point_latest(root: Path, version: str) -> None:
    """Make ``latest/manifest.json`` name ``version`` (atomic rename, as the registry does)."""
    manifest = json.loads((root / version / MANIFEST_FILE).read_text())
    latest = root / LATEST
    latest.mkdir(parents=True, exist_ok=True)
    temporary = latest / f".{MANIFEST_FILE}.tmp"
    temporary.write_text(json.dumps(manifest))
    os.replace(temporary, latest / MANIFEST_FILE)


def rewrite_manifest(folder: Path, **changes: Any) -> None:
    """Change fields of a written version's manifest (to plant a schema mismatch)."""
    path = folder / MANIFEST_FILE
    manifest = json.loads(path.read_text())
    manifest.update(changes)
    path.write_text(json.dumps(manifest))
