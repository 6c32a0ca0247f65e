"""FastAPI dependencies: the service, the state in use, the admin check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from criptos.api.service import ModelService
from criptos.api.settings import Settings
from criptos.api.state import ServingState

_bearer = HTTPBearer(auto_error=False, description="The configured admin token.")


async def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


async def get_service(request: Request) -> ModelService:
    """The model service the lifespan started."""
    return request.app.state.service


async def get_state(request: Request) -> ServingState:
    """The version in use, read once per request; 503 before the first load
    (``ModelService.serving``, as for /predict and GraphQL)."""
    return request.app.state.service.serving()


async def require_admin(
    settings: Annotated[Settings, Depends(get_settings)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Bearer token equal to the configured admin token (constant-time comparison)."""
    if settings.admin_token is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Not Found")
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "admin token required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    expected = settings.admin_token.get_secret_value().encode()
    if not hmac.compare_digest(credentials.credentials.encode(), expected):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid admin token")


ServiceDep = Annotated[ModelService, Depends(get_service)]
StateDep = Annotated[ServingState, Depends(get_state)]
