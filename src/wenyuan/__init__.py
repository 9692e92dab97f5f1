"""Wenyuan (文渊): an open platform for cultural data services and their governance."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
