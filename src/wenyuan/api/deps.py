"""Dependencies injected into the API's routes (defined once in ``wenyuan._deps``, which the
web pages share)."""

from __future__ import annotations

from wenyuan._deps import PlatformDep, get_platform

__all__ = ["PlatformDep", "get_platform"]
