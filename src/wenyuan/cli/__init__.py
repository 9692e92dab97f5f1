"""The ``wenyuan`` command: a thin shell over the application services."""

from __future__ import annotations

from wenyuan.cli import ledger as _ledger
from wenyuan.cli.main import app, main

_ledger.register_commands(app)

__all__ = ["app", "main"]
