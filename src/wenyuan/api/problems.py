"""RFC 9457 problem details: the one place where errors become JSON API responses.

Every header an ``HTTPException`` carries is kept on its problem response (RFC 9110 asks for
``Allow`` on a 405, and a guard may add others such as ``Retry-After``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from wenyuan.core.errors import WenyuanError

__all__ = ["PROBLEM_MEDIA_TYPE", "problem_response"]

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
