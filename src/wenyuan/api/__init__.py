"""The JSON API under /api: routers, schemas, RFC 9457 problem details, the OpenAPI document."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter

from wenyuan.api.openapi import install_document
from wenyuan.api.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers, problem_response
from wenyuan.api.routers import dates, ledger, resources, search

if TYPE_CHECKING:
    from wenyuan.core.config import Settings

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "api_router",
    "install_document",
    "install_problem_handlers",
    "problem_response",
    "tlog_router",
]


def api_router(settings: Settings) -> APIRouter:
    """Every API route, to be included under the /api prefix; bounds from ``settings``."""
    router = APIRouter()
    router.include_router(search.search_router(settings))
    router.include_router(resources.router)
    router.include_router(dates.router)
    router.include_router(ledger.router)
    return router


def tlog_router() -> APIRouter:
    """The C2SP tlog paths (checkpoint, tiles), included at the site's root."""
    return ledger.tlog_router
