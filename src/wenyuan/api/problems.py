"""RFC 9457 problem details: the one place where errors become JSON API responses."""

from __future__ import annotations

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
    status: int, slug: str, title: str, detail: str, request: Request, **extra: Any
) -> JSONResponse:
    body = {
        "type": _TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)


def problem_response(request: Request, exc: Exception) -> JSONResponse:
    """Map any exception to a problem+json response; unknown ones become a bare 500."""
    if isinstance(exc, WenyuanError):
        safe = {k: v for k, v in exc.context.items() if isinstance(v, str | int | float | bool)}
        return _problem(exc.status, exc.type_slug, exc.title, exc.detail, request, **safe)
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
        return _problem(422, "invalid-input", "Invalid input", detail, request, errors=errors)
    if isinstance(exc, HTTPException):
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return _problem(exc.status_code, slug, str(exc.detail), str(exc.detail), request)
    return _problem(
        500, "internal-error", "Internal error", "the server failed; the error was logged", request
    )
