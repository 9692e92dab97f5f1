"""The ``wenyuan`` command: a thin shell over the application services."""

from __future__ import annotations

from wenyuan.cli.ledger import register_commands
from wenyuan.cli.main import app, main

register_commands(app)

__all__ = ["app", "main"]
