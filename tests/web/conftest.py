"""Fixtures for the web pages: an in-process client, a live server and real Chromium.

The live server runs uvicorn in a background thread on a socket bound before start-up (so
no other process can take the port in between); it serves ``sample_platform``, which is
shared and read-only. Chromium is the system's (``WENYUAN_CHROMIUM`` or
``/usr/bin/chromium``); Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import uvicorn
from starlette.exceptions import StarletteDeprecationWarning

from tests.conftest import skip_or_fail
from wenyuan.app import Platform
from wenyuan.asgi import create_app

with warnings.catch_warnings():
    # Starlette 1.x warns at import time that its TestClient prefers ``httpx2`` to the
    # ``httpx`` our dev dependencies install; nothing in our code can act on it.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page
    from starlette.types import ASGIApp

CHROMIUM = Path(os.environ.get("WENYUAN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_START_TIMEOUT = 15.0


@pytest.fixture
def client(sample_platform: Platform) -> Iterator[TestClient]:
    """A client for the app over the sample collection, lifespan running, with no cookies."""
    app = create_app(sample_platform.settings, platform=sample_platform)
    with TestClient(app) as test_client:
        yield test_client


@contextmanager
def serving(platform: Platform) -> Iterator[str]:
    """Serve the real app over ``platform`` with uvicorn on 127.0.0.1; yields the base URL."""
    with serving_app(create_app(platform.settings, platform=platform)) as base_url:
        yield base_url


@contextmanager
def serving_app(app: ASGIApp) -> Iterator[str]:
    """Serve an ASGI ``app`` that answers ``/healthz`` (the platform's, a witness's) with
    uvicorn on 127.0.0.1, in a thread; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, thread)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=_START_TIMEOUT)
        sock.close()


@pytest.fixture(scope="session")
def live_server(sample_platform: Platform) -> Iterator[str]:
    """The base URL of the real app served by uvicorn on 127.0.0.1 over the sample collection."""
    with serving(sample_platform) as base_url:
        yield base_url


def _wait_until_healthy(base_url: str, thread: threading.Thread) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if not thread.is_alive():
            pytest.fail("the live server stopped during start-up")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"the live server did not answer {base_url}/healthz within {_START_TIMEOUT}s")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """The system's headless Chromium, driven by Playwright."""
    if not CHROMIUM.is_file():
        skip_or_fail(f"Chromium not found at {CHROMIUM} (set WENYUAN_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the playwright package is not installed")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser, live_server: str) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies) whose relative URLs go to the live server."""
    context = chromium.new_context(base_url=live_server, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
