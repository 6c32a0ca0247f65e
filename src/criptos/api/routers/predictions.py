"""GET /predict: a lookup in the answers rendered when the version loaded."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status

from criptos.api.dependencies import StateDep
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


@router.get(
    "/predict",
    response_model=PredictionResponse,
    responses=error_responses(
        {
            404: "Unknown asset",
            422: "Missing or malformed asset code",
            503: NOT_READY_DESCRIPTION,
        }
    ),
    summary="Predictions of every model for one asset",
)
async def predict(ativo: AssetCode, state: StateDep) -> Response:
    """All models' predictions for ``ativo`` from its latest feature row."""
    served = state.assets.get(ativo.upper())
    if served is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"unknown asset: {ativo.upper()}"
        )
    return Response(served.body, media_type="application/json")
