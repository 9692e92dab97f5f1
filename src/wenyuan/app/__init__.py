"""Application services and the composition root (``Platform``)."""

from __future__ import annotations

from wenyuan.app._follower import IndexFollower
from wenyuan.app._replica import IndexBusy
from wenyuan.app.ledger import AssetPage, LedgerKeys, LedgerService, Rotation
from wenyuan.app.platform import IngestReport, Platform, Readiness, SearchHit, SearchPage

__all__ = [
    "AssetPage",
    "IndexBusy",
    "IndexFollower",
    "IngestReport",
    "LedgerKeys",
    "LedgerService",
    "Platform",
    "Readiness",
    "Rotation",
    "SearchHit",
    "SearchPage",
]
