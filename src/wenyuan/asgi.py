"""The one ASGI application: the JSON API under /api, the web pages at /, operations endpoints.

This is the only module that sees both ``api`` and ``web``. Resources live in the lifespan:
the ``Platform`` (database engine, search index) is opened at start-up and closed at
shutdown, never at import time. Every request passes the ``RequestGuard`` (``_guards``:
allowed hosts, body size, speed and count, JSON bodies for /api, redirects that never echo
the ``Host``) inside the metrics middleware, so its refusals are counted too. Errors are
answered by ``wenyuan.api.install_problem_handlers``: problem+json on the API's paths, the
web UI's error page elsewhere. (The witness service is an app of its own,
``wenyuan.api.witness``, served by ``wenyuan ledger witness``.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wenyuan import __version__
from wenyuan._guards import GuardPolicy, RequestGuard
from wenyuan.api import (
    api_router,
    install_document,
    install_problem_handlers,
    problem_response,
    tlog_router,
)
from wenyuan.app import IndexFollower, Platform
from wenyuan.core.config import Settings, get_settings
from wenyuan.core.errors import Conflict, WenyuanError
from wenyuan.web import STATIC_DIR, error_page
from wenyuan.web import router as web_router

__all__ = ["create_app"]

log = structlog.get_logger(__name__)


def create_app(settings: Settings | None = None, *, platform: Platform | None = None) -> FastAPI:
    """The application; ``platform`` (opened by the caller) is used instead of a new one."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = platform is None
        app.state.platform = platform or Platform(settings)
        log.info("server.start", data_dir=str(settings.data_dir))
        # The search index follows the change feed in a thread: it catches up at start
        # (after a crash, or records written while no indexer ran) without holding up
        # start-up, then applies what any process commits (another node, a CLI ingest).
        follower = IndexFollower(app.state.platform)
        follower.start()
        # The server writes the ledger: take the log's writer lock now, not at the first
        # statement. If another process holds it, the ledger opens at first use instead.
        try:
            await asyncio.to_thread(app.state.platform.ledger.open)
        except Conflict as exc:
            log.warning("server.ledger_busy", detail=exc.detail)
        try:
            yield
        finally:
            await asyncio.to_thread(follower.stop)
            if owned:
                app.state.platform.close()
            log.info("server.stop")

    app = FastAPI(
        title="Wenyuan API",
        version=__version__,
        description="Cultural resources: Chinese-first search, records, dates.",
        lifespan=lifespan,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.include_router(api_router(settings), prefix="/api")
    app.include_router(tlog_router())
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_problem_handlers(app, page=error_page, is_api=_is_api)
    _install_guard(app, settings)
    _install_operations(app)
    install_document(app)
    return app


def _is_api(request: Request) -> bool:
    path = request.url.path
    return path.startswith(("/api", "/ledger/checkpoint", "/ledger/tile/"))


def _refusal(scope: Scope, exc: WenyuanError) -> Response:
    """The guard's refusals in the application's error shapes."""
    request = Request(scope)
    if _is_api(request):
        return problem_response(request, exc)
    return error_page(request, exc)


def _install_guard(app: FastAPI, settings: Settings) -> None:
    policy = GuardPolicy(
        allowed_hosts=tuple(settings.allowed_hosts),
        public_url=settings.public_url,
        max_body_bytes=settings.max_body_bytes,
        body_timeout=settings.body_timeout,
        max_concurrent_bodies=settings.max_concurrent_bodies,
    )
    app.add_middleware(RequestGuard, policy=policy, render=_refusal)


class _Measured:
    """ASGI middleware that hands each request to ``measure`` with the inner app."""

    def __init__(self, app: ASGIApp, measure: Callable[..., Awaitable[None]]) -> None:
        self.app = app
        self.measure = measure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.measure(scope, receive, send, self.app)


def _endpoint_name(endpoint: object) -> str:
    """A metrics label for a route's endpoint: a function, or a mounted app (``/static``)."""
    module = str(getattr(endpoint, "__module__", "")).removeprefix("wenyuan.")
    name = getattr(endpoint, "__name__", type(endpoint).__name__)
    return f"{module}.{name}"


def _install_operations(app: FastAPI) -> None:
    registry = CollectorRegistry()
    requests = Counter(
        "wenyuan_http_requests_total",
        "HTTP requests",
        ["method", "handler", "status"],
        registry=registry,
    )
    latency = Histogram(
        "wenyuan_http_request_seconds",
        "HTTP request latency",
        ["method", "handler"],
        registry=registry,
        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
    )

    async def measure(scope: Scope, receive: Receive, send: Send, inner: ASGIApp) -> None:
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return
        started = time.perf_counter()
        # No response and no exception: the client hung up first (the guard answers nothing
        # then); counted as 499, nginx's "client closed request", never as a 5xx.
        status = [499]

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await inner(scope, receive, send_and_note)
        except BaseException:
            if status[0] == 499:
                status[0] = 500  # the error handler outside answers 500
            raise
        finally:
            endpoint = scope.get("endpoint")
            name = _endpoint_name(endpoint) if endpoint is not None else "unmatched"
            method = scope.get("method", "")
            latency.labels(method, name).observe(time.perf_counter() - started)
            requests.labels(method, name, str(status[0])).inc()

    # A plain ASGI middleware: Starlette's @app.middleware("http") adds a task and a queue
    # per request, several milliseconds under load.
    app.add_middleware(_Measured, measure=measure)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz(request: Request) -> JSONResponse:
        # 503 also while the search index catches up; the body says by how many changes.
        readiness = request.app.state.platform.ready()
        return JSONResponse(readiness.as_dict(), status_code=200 if readiness.ok else 503)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
