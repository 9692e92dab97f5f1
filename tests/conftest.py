"""Fixtures shared by the whole suite.

Fixtures are named for the state they give. Tests that need PostgreSQL, Chromium or the
real collections in ../shared/data skip with a stated reason where those are absent; with
``WENYUAN_REQUIRE_SERVICES=1`` (set by .ci/run) such a skip becomes a failure instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
REQUIRE_SERVICES = os.environ.get("WENYUAN_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip on a user's machine; fail in CI, where every service must be present."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required in CI but unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public collections beside the project (../shared/data)."""
    if not SHARED_DATA.is_dir():
        skip_or_fail(f"real collections not found at {SHARED_DATA}")
    return SHARED_DATA
