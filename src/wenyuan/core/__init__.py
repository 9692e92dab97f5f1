"""The platform's core: configuration, database machinery, errors, logging, text, ids.

`core` imports no other part of Wenyuan; every domain builds on it.
"""

from __future__ import annotations

from wenyuan.core.config import Settings, get_settings
from wenyuan.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    SourceError,
    StorageError,
    WenyuanError,
)

__all__ = [
    "Conflict",
    "InvalidInput",
    "NotFound",
    "Settings",
    "SourceError",
    "StorageError",
    "WenyuanError",
    "get_settings",
]
