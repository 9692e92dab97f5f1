"""Server-rendered web pages (Jinja2), in Chinese and English."""

from __future__ import annotations

from pathlib import Path

from wenyuan.web.pages import error_page, router

__all__ = ["STATIC_DIR", "error_page", "router"]

STATIC_DIR = Path(__file__).with_name("static")
