"""GET /predict: a lookup in the answers rendered when the version or features loaded."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError

from criptos.api.dependencies import ServiceDep
from criptos.api.schemas import (
    ASSET_CODE_PATTERN,
    NOT_READY_DESCRIPTION,
    PredictionResponse,
    error_responses,
)

router = APIRouter(tags=["predictions"])

AssetCode = Annotated[
    str,
    Query(
        pattern=ASSET_CODE_PATTERN,
        description="Asset code, case-insensitive (letters, digits, '.', '_', '-'; 1 to 20).",
        examples=["BTC"],
    ),
]


def _single_asset(request: Request) -> None:
    """``?ativo=BTC&ativo=ETH`` is refused: it would otherwise answer the last one."""
    if len(request.query_params.getlist("ativo")) > 1:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "ativo"),
                    "msg": "give one asset code (ativo appears more than once)",
                }
            ]
        )


@router.get(
    "/predict",
    response_model=PredictionResponse,
    responses=error_responses(
        {
            404: "Unknown asset (the message lists the known or closest codes)",
            422: "Missing, repeated or malformed asset code; or an asset that cannot "
            "be predicted honestly (warm-up incomplete, too many missing inputs), "
            "with days_needed when known",
            503: NOT_READY_DESCRIPTION,
        }
    ),
    summary="Predictions of every model for one asset",
)
async def predict(ativo: AssetCode, request: Request, service: ServiceDep) -> Response:
    """All models' predictions for ``ativo`` from its latest feature row, each with
    its training verdict; ``recommended`` names, per task, the model that passed its
    baseline test with the best hold-out loss (or null)."""
    _single_asset(request)
    return Response(service.body(ativo), media_type="application/json")
