"""GET /health (liveness) and GET /ready (a version is loaded)."""

from __future__ import annotations

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse

from criptos.api.dependencies import ServiceDep
from criptos.api.schemas import HealthResponse, ReadyResponse

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthResponse, summary="Liveness")
async def health() -> HealthResponse:
    """200 whenever the process answers."""
    return HealthResponse()


@router.get(
    "/ready",
    response_model=ReadyResponse,
    responses={503: {"model": ReadyResponse, "description": "No version loaded yet"}},
    summary="Readiness",
)
async def ready(service: ServiceDep) -> ReadyResponse | JSONResponse:
    """200 once a model version is loaded, 503 before."""
    state = service.state
    if state is None:
        return JSONResponse(
            ReadyResponse(ready=False).model_dump(),
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    return ReadyResponse(ready=True, model_version=state.version)
