"""Application services and the composition root (``Platform``)."""

from __future__ import annotations

from wenyuan.app.platform import IngestReport, Platform, SearchHit, SearchPage

__all__ = ["IngestReport", "Platform", "SearchHit", "SearchPage"]
