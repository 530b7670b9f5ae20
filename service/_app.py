"""The FastAPI application factory. Nothing heavy happens at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from search import Store
from service._access import install_access
from service._audit import install_audit
from service._logging import RequestIdMiddleware
from service._metrics import install_metrics
from service._problems import install_problem_handlers, problem
from service._routes_alerts import alerts_router, webhooks_router
from service._routes_amplify import router as amplify_router
from service._routes_analyze import router as analyze_router
from service._routes_audit import router as audit_router
from service._routes_campaigns import router as campaigns_router
from service._routes_config import brands_router, sources_router
from service._routes_coverage import router as coverage_router
from service._routes_dashboard import router as dashboard_router
from service._routes_executives import router as executives_router
from service._routes_keys import router as keys_router
from service._routes_metrics import router as metrics_router
from service._routes_opml import router as opml_router
from service._routes_queries import router as queries_router
from service._routes_scorecard import router as scorecard_router
from service._routes_source_health import router as source_health_router
from service._routes_traffic import router as traffic_router
from service._routes_websub import router as websub_router
from service._runtime import Runtime
from service._settings import Settings

health = APIRouter(tags=["health"])


@health.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up and serving requests."""
    return {"status": "ok"}


@health.get("/readyz", response_model=None)
async def readyz(request: Request) -> JSONResponse | dict[str, object]:
    """Ready to serve: the store answers, the model is loaded, ingest runs (when enabled)."""
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is None:
        return problem(503, "Not ready", "Clarion is starting or stopping")
    reasons = []
    try:
        documents = await runtime.store.count_documents()
    except Exception as exc:  # reported, not raised: this endpoint's job is to say why
        reasons.append(f"store: {type(exc).__name__}: {exc}")
        documents = -1
    failure = runtime.crawl_failure()
    if failure:
        reasons.append(failure)
    alerting = runtime.alerting.failure() if runtime.alerting is not None else None
    if alerting:
        reasons.append(alerting)
    if reasons:
        return problem(503, "Not ready", "; ".join(reasons))
    return {
        "status": "ready",
        "documents": documents,
        "crawling": runtime.crawl_task is not None,
        "polling_rounds": runtime.pipeline.rounds,
    }


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> FastAPI:
    """Build the API; the lifespan starts the store, model and pipeline, and stops them.

    ``store`` replaces the store the settings name (opened and closed by the lifespan).
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logging.getLogger("clarion").setLevel(settings.log_level.upper())
        runtime = await Runtime.start(settings, store=store)
        if settings.crawl:
            runtime.start_crawling()
        runtime.start_retention()
        if runtime.alerting is not None:
            runtime.alerting.start()  # webhook deliveries and periodic alert checks
        app.state.runtime = runtime
        try:
            yield
        finally:
            app.state.runtime = None
            await runtime.stop()

    app = FastAPI(
        title="Clarion",
        version="0.1.0",
        summary="Media monitoring and share of voice, self-hosted.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.runtime = None
    install_problem_handlers(app)
    install_access(app, settings)
    app.include_router(health)
    install_metrics(app)
    app.include_router(brands_router)
    app.include_router(opml_router)  # before sources_router: /sources/opml is no id
    app.include_router(source_health_router)  # nor is /sources/health
    app.include_router(sources_router)
    app.include_router(metrics_router)
    app.include_router(coverage_router)
    app.include_router(analyze_router)
    app.include_router(queries_router)
    app.include_router(websub_router)
    app.include_router(alerts_router)
    app.include_router(webhooks_router)
    app.include_router(traffic_router)
    app.include_router(keys_router)
    app.include_router(audit_router)
    install_audit(app)  # records every successful configuration write
    app.include_router(amplify_router)
    app.include_router(executives_router)
    app.include_router(campaigns_router)
    app.include_router(scorecard_router)
    app.include_router(dashboard_router)  # the web dashboard at /dashboard/, / redirects
    app.add_middleware(RequestIdMiddleware)  # added last: outermost, so every log line has it
    return app
