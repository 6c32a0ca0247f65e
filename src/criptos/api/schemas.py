"""Response bodies of the prediction service (the OpenAPI documentation shows these)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

ASSET_CODE_PATTERN = r"^[A-Za-z0-9._-]{1,20}$"


class Verdict(BaseModel):
    """The model's tested training verdict against its baseline (from the manifest)."""

    beats_baseline: bool | None = Field(
        description="Lower loss than the baseline and Holm-adjusted p below the "
        "significance level (walk-forward Diebold-Mariano test)."
    )
    p_value_adjusted: float | None
    metric: str | None = Field(examples=["mse", "log_loss"])
    baseline: str | None = Field(examples=["zero", "prior"])


class ModelCaveats(BaseModel):
    """What a model's forecast is worth, as measured when it was trained."""

    task: str  # narrowed by each prediction class; first in every answer
    verdict: Verdict
    holdout_net_sharpe: float | None = Field(
        default=None,
        description="Hold-out Sharpe ratio of the long/flat strategy after costs, "
        "when the backtest of the training run exists.",
    )


class RegressionPrediction(ModelCaveats):
    """A regressor's answer: predicted log return over the horizon and the close it implies."""

    task: Literal["regression"] = "regression"
    predicted_log_return: float
    predicted_close: float


class ClassificationPrediction(ModelCaveats):
    """A classifier's answer: probability that the close rises over the horizon."""

    task: Literal["classification"] = "classification"
    probability_up: float = Field(ge=0.0, le=1.0)
    direction: Literal["up", "down"]


class Recommended(BaseModel):
    """Per task, the model with a passing verdict and the best hold-out loss, or null."""

    regression: str | None = None
    classification: str | None = None


class PredictionResponse(BaseModel):
    """Predictions of every model of the version in use for one asset."""

    ativo: str = Field(examples=["BTC"])
    as_of: date = Field(description="Date of the feature row the predictions use.")
    age_days: int = Field(description="Days from as_of to the server's UTC date.")
    stale: bool = Field(
        description="age_days is past CRIPTOS_API_STALE_AFTER_DAYS (default 3)."
    )
    last_close: float = Field(description="Close (fechamento) on the as_of date.")
    horizon_days: int
    model_version: str = Field(examples=["20261127T101500123456Z-3fa9"])
    seen_in_training: bool = Field(
        description="The asset was among the rows the models were fitted on."
    )
    missing_inputs: list[str] = Field(
        description="Model inputs missing on the latest row (filled with training "
        "medians); past CRIPTOS_API_MAX_MISSING_INPUTS_SHARE the asset answers 422."
    )
    recommended: Recommended
    predictions: dict[str, RegressionPrediction | ClassificationPrediction]


class AssetEntry(BaseModel):
    """One asset of the latest features; ``predictable`` is false when /predict
    refuses it (422: warm-up incomplete or too many missing inputs)."""

    ativo: str
    as_of: date
    predictable: bool


class AssetsResponse(BaseModel):
    """The assets served by the version in use."""

    model_version: str
    ativos: list[AssetEntry]


class ReloadErrorBody(BaseModel):
    """Why the last reload attempt refused a version (the old one kept serving)."""

    version: str | None
    stage: str
    message: str
    at: datetime


class FeaturesInUse(BaseModel):
    """The latest feature table the answers come from."""

    loaded_at: datetime
    as_of: date | None = Field(description="Newest feature row date of any asset.")
    assets: int


class ModelsResponse(BaseModel):
    """The manifest in use and the last reload error, if any."""

    model_version: str | None
    loaded_at: datetime | None
    features: FeaturesInUse | None
    manifest: dict[str, Any] | None
    last_reload_error: ReloadErrorBody | None


class HealthResponse(BaseModel):
    """Liveness: the process answers."""

    status: Literal["ok"] = "ok"


class ReadyResponse(BaseModel):
    """Readiness: a model version is loaded."""

    ready: bool
    model_version: str | None = None


class ReloadResponse(BaseModel):
    """Outcome of one reload check."""

    outcome: Literal["loaded", "refreshed", "unchanged", "refused", "no_version"]
    model_version: str | None
    error: ReloadErrorBody | None = None


class ErrorResponse(BaseModel):
    """Every error answer: a short message, never a trace or a path."""

    detail: str | list[dict[str, Any]]
    days_needed: int | None = Field(
        default=None,
        description="422 of /predict: days of history still needed, when known.",
    )


NOT_READY_DESCRIPTION = "No model version loaded yet"


def error_responses(descriptions: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` of a route: each status with the ErrorResponse body."""
    return {
        code: {"model": ErrorResponse, "description": text}
        for code, text in descriptions.items()
    }
