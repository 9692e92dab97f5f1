"""Server-rendered web pages (Jinja2), in Chinese and English.

``router`` holds every page: the search and record pages (``pages``) and the trust ledger's
pages (``ledger_pages``).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from wenyuan.web import ledger_pages, pages
from wenyuan.web.pages import error_page

__all__ = ["STATIC_DIR", "error_page", "router"]

STATIC_DIR = Path(__file__).with_name("static")

router = APIRouter(include_in_schema=False)
router.include_router(pages.router)
router.include_router(ledger_pages.router)
