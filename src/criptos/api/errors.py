"""Exception handlers: every error is a short JSON message, never a trace or a path."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from criptos.api.state import AssetNotServed

logger = logging.getLogger(__name__)

INTERNAL_ERROR = "internal error"


async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    """HTTP errors raised on purpose keep their status and short detail."""
    return JSONResponse(
        {"detail": error.detail}, status_code=error.status_code, headers=error.headers
    )


async def _asset_not_served(request: Request, error: AssetNotServed) -> JSONResponse:
    """404 unknown asset, 422 not predictable (with the days still needed), 503."""
    body: dict[str, object] = {"detail": error.message}
    if error.days_needed is not None:
        body["days_needed"] = error.days_needed
    headers = {"Retry-After": "1"} if error.status == 503 else None
    return JSONResponse(body, status_code=error.status, headers=headers)


async def _validation_error(
    request: Request, error: RequestValidationError
) -> JSONResponse:
    """422 naming the parameter and the rule, without echoing the value sent."""
    problems = [
        {
            "loc": [str(part) for part in problem.get("loc", ())],
            "msg": str(problem.get("msg", "")),
        }
        for problem in error.errors()
    ]
    return JSONResponse(
        {"detail": problems}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
    )


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    """Anything unforeseen: logged in full here, a bare 500 for the client."""
    logger.error(
        "Unhandled error on %s %s", request.method, request.url.path, exc_info=error
    )
    return JSONResponse(
        {"detail": INTERNAL_ERROR}, status_code=status.HTTP_500_INTERNAL_SERVER_ERROR
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(AssetNotServed, _asset_not_served)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
