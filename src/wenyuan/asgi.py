"""The one ASGI application: the JSON API under /api, the web pages at /, operations endpoints.

This is the only module that sees both ``api`` and ``web``. Resources live in the lifespan:
the ``Platform`` (database engine, search index) is opened at start-up and closed at
shutdown, never at import time. Every request passes the ``RequestGuard`` (``_guards``:
allowed hosts, body size, speed and count, JSON bodies for /api, redirects that never echo
the ``Host``) inside the metrics middleware, so its refusals are counted too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wenyuan import __version__
from wenyuan._guards import GuardPolicy, RequestGuard
from wenyuan.api import api_router, install_document, problem_response, tlog_router
from wenyuan.api.witness import MAX_BODY_BYTES as WITNESS_MAX_BODY_BYTES
from wenyuan.api.witness import create_witness_app as witness_app
from wenyuan.app import IndexFollower, Platform
from wenyuan.core.config import Settings, get_settings
from wenyuan.core.errors import Conflict, InvalidInput, WenyuanError
from wenyuan.ledger.witness_http import load_witness
from wenyuan.web import STATIC_DIR, error_page
from wenyuan.web import router as web_router

__all__ = ["create_app", "create_witness_app"]

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
            await asyncio.to_thread(lambda: app.state.platform.ledger)
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
    _install_errors(app)
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


def _install_errors(app: FastAPI) -> None:
    async def handle(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, WenyuanError | RequestValidationError | HTTPException):
            log.exception("request.failed", path=request.url.path)
        elif isinstance(exc, WenyuanError) and exc.status >= 500:
            log.error("request.error", path=request.url.path, detail=exc.detail)
        if _is_api(request) or isinstance(exc, RequestValidationError):
            return problem_response(request, exc)  # keeps an HTTPException's headers
        page = error_page(request, exc)
        if isinstance(exc, HTTPException) and exc.headers:
            page.headers.update(exc.headers)  # Allow on a 405, as RFC 9110 asks
        return page

    app.add_exception_handler(WenyuanError, handle)
    app.add_exception_handler(RequestValidationError, handle)
    app.add_exception_handler(HTTPException, handle)
    app.add_exception_handler(Exception, handle)


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


# -- the witness service --------------------------------------------------------------------


class _WitnessSettings(BaseSettings):
    """The witness service's settings; ``wenyuan ledger witness`` sets them from its options."""

    model_config = SettingsConfigDict(env_prefix="WENYUAN_WITNESS_", extra="ignore")

    key: Path | None = Field(default=None, description="The witness's signer key file (0600).")
    state: Path | None = Field(
        default=None, description="Folder of the witness's cosigned checkpoints and evidence."
    )
    logs: str = Field(
        default="", description="The logs witnessed: vkeys or .pub key files, one per line."
    )


def create_witness_app() -> ASGIApp:
    """The witness service (c2sp.org/tlog-witness), configured from the environment.

    ``WENYUAN_WITNESS_KEY``: the witness's signer key file; ``WENYUAN_WITNESS_STATE``: its
    state folder; ``WENYUAN_WITNESS_LOGS``: each witnessed log's vkey, or a ``.pub`` file
    holding it, one per line. Raise ``InvalidInput`` naming every one that is missing, and
    what ``load_witness`` raises for a bad key, log or folder.

    The service passes the same ``RequestGuard`` as the platform, for its bodies only
    (``WENYUAN_BODY_TIMEOUT``, ``WENYUAN_MAX_CONCURRENT_BODIES``, and at most the smaller of
    ``WENYUAN_MAX_BODY_BYTES`` and the witness's 1 MiB): any ``Host`` is answered, as logs
    reach a witness by whatever name they were given and it builds no URL from it, and its
    ``text/plain`` checkpoints are not held to the API's JSON rule.
    """
    settings = _WitnessSettings()
    missing = [
        f"WENYUAN_WITNESS_{name.upper()}"
        for name in ("key", "state", "logs")
        if not getattr(settings, name)
    ]
    if settings.key is None or settings.state is None or missing:
        raise InvalidInput(
            f"the witness service needs {', '.join(missing)} in the environment "
            "(or run it with: wenyuan ledger witness --key KEY --state DIR --log VKEY)",
            missing=", ".join(missing),
        )
    witness = load_witness(settings.key, settings.state, settings.logs.splitlines())
    common = get_settings()
    policy = GuardPolicy(
        allowed_hosts=("*",),
        public_url=None,
        max_body_bytes=min(common.max_body_bytes, WITNESS_MAX_BODY_BYTES),
        body_timeout=common.body_timeout,
        max_concurrent_bodies=common.max_concurrent_bodies,
        json_paths=(),
    )
    return RequestGuard(witness_app(witness), policy, _problem_refusal)


def _problem_refusal(scope: Scope, exc: WenyuanError) -> Response:
    """The witness's refusals: problem+json on every path."""
    return problem_response(Request(scope), exc)
