"""POST /admin/reload: check the latest manifest now (only with an admin token)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from criptos.api.dependencies import ServiceDep, require_admin
from criptos.api.routers.models import error_body
from criptos.api.schemas import ReloadResponse, error_responses

router = APIRouter(tags=["admin"], dependencies=[Depends(require_admin)])


@router.post(
    "/admin/reload",
    response_model=ReloadResponse,
    responses=error_responses({401: "No bearer token", 403: "Wrong token"}),
    summary="Reload the latest version and features now",
)
async def reload_now(service: ServiceDep) -> ReloadResponse:
    """Load what ``latest`` names now, with the latest features, and swap it in.

    Unlike the periodic check, this also reloads the version in use (to pick up
    newer features) and retries a previously refused version.
    """
    result = await service.check(force=True)
    state = service.state
    return ReloadResponse(
        outcome=result.outcome,
        model_version=state.version if state else None,
        error=error_body(result.error),
    )
