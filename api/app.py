"""The FastAPI application factory: ``create_app(settings)``.

Starting the app migrates the database, clears half-received uploads and starts the
in-process workers (or connects to the Celery broker when one is set).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from api import problems
from api.db import migrate
from api.processing import media_store
from api.routes import adoption, calls, deals, evidence, org, webhooks
from api.settings import Settings
from api.storage import clear_stale_uploads
from api.workers import make_dispatcher

API_PREFIX = "/api/v1"
log = logging.getLogger("dealproof.api")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate(settings.db_url)
        settings.media_path.mkdir(parents=True, exist_ok=True)
        clear_stale_uploads(media_store(settings))
        app.state.dispatcher = make_dispatcher(settings)
        try:
            yield
        finally:
            app.state.dispatcher.stop()

    app = FastAPI(
        title="dealproof",
        version="1",
        summary="Evidence of sales behaviors from call recordings, attached to deals.",
        lifespan=lifespan,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    problems.install(app)

    api = APIRouter(prefix=API_PREFIX)

    @api.get("/health", tags=["service"])
    def health() -> dict[str, str]:
        """Liveness: answers without a token."""
        return {"status": "ok"}

    for module in (org, deals, calls, evidence, adoption, webhooks):
        api.include_router(module.router)
    app.include_router(api)
    return app
