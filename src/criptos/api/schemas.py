"""Response bodies of the prediction service (the OpenAPI documentation shows these)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

ASSET_CODE_PATTERN = r"^[A-Za-z0-9._-]{1,20}$"


class RegressionPrediction(BaseModel):
    """A regressor's answer: predicted log return over the horizon and the close it implies."""

    task: Literal["regression"] = "regression"
    predicted_log_return: float
    predicted_close: float


class ClassificationPrediction(BaseModel):
    """A classifier's answer: probability that the close rises over the horizon."""

    task: Literal["classification"] = "classification"
    probability_up: float = Field(ge=0.0, le=1.0)
    direction: Literal["up", "down"]


class PredictionResponse(BaseModel):
    """Predictions of every model of the version in use for one asset."""

    ativo: str = Field(examples=["BTC"])
    as_of: date = Field(description="Date of the feature row the predictions use.")
    last_close: float = Field(description="Close (fechamento) on the as_of date.")
    horizon_days: int
    model_version: str = Field(examples=["20261127T101500123456Z-3fa9"])
    predictions: dict[str, RegressionPrediction | ClassificationPrediction]


class AssetEntry(BaseModel):
    """One asset the service answers for."""

    ativo: str
    as_of: date


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


class ModelsResponse(BaseModel):
    """The manifest in use and the last reload error, if any."""

    model_version: str | None
    loaded_at: datetime | None
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

    outcome: Literal["loaded", "unchanged", "refused", "no_version"]
    model_version: str | None
    error: ReloadErrorBody | None = None


class ErrorResponse(BaseModel):
    """Every error answer: a short message, never a trace or a path."""

    detail: str | list[dict[str, Any]]


NOT_READY_DESCRIPTION = "No model version loaded yet"


def error_responses(descriptions: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` of a route: each status with the ErrorResponse body."""
    return {
        code: {"model": ErrorResponse, "description": text}
        for code, text in descriptions.items()
    }
