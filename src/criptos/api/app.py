"""The application factory and its lifespan (load, poll, stop)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from criptos import __version__
from criptos.api.errors import install_error_handlers
from criptos.api.graphql import GRAPHQL_URL, STATIC_DIR, STATIC_URL, graphql_router
from criptos.api.graphql_cache import GraphQLResultCache
from criptos.api.head import HeadAsGet
from criptos.api.routers import admin, health, models, predictions
from criptos.api.service import ModelService
from criptos.api.settings import Settings
from criptos.api.source import KedroModelSource, ModelSource

logger = logging.getLogger(__name__)

DESCRIPTION = (
    "Predictions of the criptos models for each asset, from its latest feature row, "
    "each with its tested training verdict. The service picks up a newly exported "
    "model version and a new day of features without downtime. GraphQL at /graphql."
)


def _lifespan(settings: Settings, source: ModelSource | None):
    """Open the project's catalog, start polling, stop polling on shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        model_source = source or await asyncio.to_thread(
            KedroModelSource.from_settings, settings
        )
        service = ModelService(
            model_source, poll_interval=settings.poll_interval, policy=settings.policy
        )
        app.state.service = service
        poller = asyncio.create_task(
            service.poll_forever(), name="criptos-model-poller"
        )
        try:
            yield
        finally:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
            logger.info("Model poller stopped")

    return lifespan


def create_app(
    settings: Settings | None = None, source: ModelSource | None = None
) -> FastAPI:
    """Build the app; ``source`` replaces the Kedro catalog (tests), else settings decide.

    Swagger UI (/docs) and ReDoc (/redoc) come from fastapi-offline's bundled assets
    and GraphiQL (/graphql) from ``criptos/api/static``: every page works offline.
    """
    settings = settings or Settings()
    app = FastAPIOffline(
        title="criptos prediction API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=_lifespan(settings, source),
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(predictions.router)
    app.include_router(models.router)
    app.include_router(health.router)
    app.include_router(graphql_router())
    if settings.admin_token is not None:
        app.include_router(admin.router)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/docs")

    app.add_middleware(GraphQLResultCache, path=GRAPHQL_URL)
    app.add_middleware(HeadAsGet)
    return app
