"""/readyz and /healthz while the search index catches up with the change feed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient

from wenyuan.app import Platform
from wenyuan.asgi import create_app
from wenyuan.core.config import Settings


@pytest.fixture
def lagging_platform(settings: Settings) -> Iterator[tuple[Platform, list[str]]]:
    """A platform opened (as at a server's start) on the indexed sample after poems were
    deleted behind the index's back, on each database; yields it and the deleted ids."""
    loader = Platform(settings)
    loader.load_sample()
    deleted = [r.id for r in loader.list_records(type="poem", limit=25).records]
    assert loader.store.delete(deleted) == len(deleted)
    loader.close()
    platform = Platform(settings)
    yield platform, deleted
    platform.close()


def test_readyz_is_503_with_the_lag_until_the_index_has_caught_up(
    lagging_platform: tuple[Platform, list[str]],
) -> None:
    """While the index cannot catch up (another holder of its lock), /readyz answers 503
    with the number of changes not applied and /healthz 200; once free, the server's
    follower applies them and /readyz turns 200 within seconds, without a restart."""
    platform, deleted = lagging_platform
    app = create_app(platform.settings, platform=platform)
    busy = ExitStack()
    busy.enter_context(platform.replica.lock(0))  # before the server and its follower start
    with busy, TestClient(app) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        body = response.json()
        assert body["index_lag"] == len(deleted) > 0
        assert body["status"] == "not ready"
        assert body["checks"] == {"database": True, "index": True, "index_current": False}
        assert client.get("/healthz").status_code == 200
        busy.close()  # the index is free: the follower applies the changes
        deadline = time.monotonic() + 3
        while (response := client.get("/readyz")).status_code != 200:
            assert time.monotonic() < deadline, response.json()
            time.sleep(0.05)
        assert response.json()["index_lag"] == 0
        hits = client.get("/api/search", params={"q": "", "limit": 100}).json()["hits"]
        assert hits
        assert not {h["id"] for h in hits} & set(deleted)
