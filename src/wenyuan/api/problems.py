"""RFC 9457 problem details: the one place where errors become HTTP responses.

``problem_response`` maps any exception to problem+json; ``install_problem_handlers`` makes
an app answer every error it raises that way, or, for the paths that are not an API (the web
UI's pages), with the error page the app passes in. Both the platform (``wenyuan.asgi``) and
the witness service (``wenyuan.api.witness``) install their handlers here.

Every header an ``HTTPException`` carries is kept on its problem response (RFC 9110 asks for
``Allow`` on a 405, and a guard may add others such as ``Retry-After``), and on an error page.
An exception that is not one of ours (a bug) is logged with its traceback and answered with a
bare 500 that says nothing of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from wenyuan.core.errors import WenyuanError

__all__ = ["PROBLEM_MEDIA_TYPE", "ErrorPage", "install_problem_handlers", "problem_response"]

log = structlog.get_logger(__name__)

ErrorPage = Callable[[Request, Exception], Response]
"""Renders an error as a page (the web UI's HTML), for requests that are not to an API."""

PROBLEM_MEDIA_TYPE = "application/problem+json"
_TYPE_BASE = "https://wenyuan.dev/problems/"


def _problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    request: Request,
    *,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {
        "type": _TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **(extra or {}),
    }
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=dict(headers or {})
    )


def problem_response(request: Request, exc: Exception) -> JSONResponse:
    """Map any exception to a problem+json response; unknown ones become a bare 500."""
    if isinstance(exc, WenyuanError):
        safe = {k: v for k, v in exc.context.items() if isinstance(v, str | int | float | bool)}
        return _problem(exc.status, exc.type_slug, exc.title, exc.detail, request, extra=safe)
    if isinstance(exc, RequestValidationError):
        errors: list[dict[str, Any]] = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        if errors:
            where = ".".join(errors[0]["loc"])
            detail = f"{where}: {errors[0]['msg']}" if where else str(errors[0]["msg"])
        else:
            detail = "invalid request"
        extra = {"errors": errors}
        return _problem(422, "invalid-input", "Invalid input", detail, request, extra=extra)
    if isinstance(exc, HTTPException):
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        detail = str(exc.detail)
        return _problem(exc.status_code, slug, detail, detail, request, headers=exc.headers)
    return _problem(
        500, "internal-error", "Internal error", "the server failed; the error was logged", request
    )


def _everywhere(request: Request) -> bool:
    return True


def install_problem_handlers(
    app: FastAPI,
    *,
    page: ErrorPage | None = None,
    is_api: Callable[[Request], bool] = _everywhere,
) -> None:
    """Answer every error ``app`` raises with problem+json, or with ``page`` off the API.

    Without ``page`` every path gets problem+json. With it, a request for which ``is_api``
    is false gets ``page``'s response instead (with the ``HTTPException``'s headers, such as
    ``Allow``), except a ``RequestValidationError``, which is problem+json everywhere.
    Errors of 500 and above are logged (``request.error``), with the traceback for an
    exception that is not a ``WenyuanError`` (``request.failed``).
    """

    async def handle(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, WenyuanError | RequestValidationError | HTTPException):
            log.exception("request.failed", path=request.url.path)
        elif isinstance(exc, WenyuanError) and exc.status >= 500:
            log.error("request.error", path=request.url.path, detail=exc.detail)
        if page is None or is_api(request) or isinstance(exc, RequestValidationError):
            return problem_response(request, exc)  # keeps an HTTPException's headers
        response = page(request, exc)
        if isinstance(exc, HTTPException) and exc.headers:
            response.headers.update(exc.headers)  # Allow on a 405, as RFC 9110 asks
        return response

    app.add_exception_handler(WenyuanError, handle)
    app.add_exception_handler(RequestValidationError, handle)
    app.add_exception_handler(HTTPException, handle)
    app.add_exception_handler(Exception, handle)
