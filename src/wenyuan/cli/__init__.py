"""The ``wenyuan`` command: a thin shell over the application services."""

from __future__ import annotations

from wenyuan.cli.main import app, main

__all__ = ["app", "main"]
