"""Hostile uploads against a real server: huge declared lengths, growing chunked bodies,
trickling bodies, clients that hang up mid-body, and more bodies at once than allowed."""

from __future__ import annotations

import contextlib
import time

import httpx
import pytest

from tests.security.conftest import (
    BODY_TIMEOUT,
    MARGIN,
    MAX_BODIES,
    MAX_BODY_BYTES,
    SLOT_WAIT,
    Server,
    answer_while_trickling,
    connect,
    read_answer,
    request_head,
)

PROBLEM = "application/problem+json"
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/api/ledger/statements", PROBLEM),
        ("/ledger/checkpoint", PROBLEM),
        ("/search", "text/html; charset=utf-8"),
    ],
    ids=["api", "tlog", "web"],
)
def test_a_huge_declared_length_is_refused_at_once(
    guarded_server: Server, path: str, media_type: str
) -> None:
    """Content-Length: 99999999999 is answered 413 from the header, before any body byte."""
    with connect(guarded_server) as sock:
        started = time.monotonic()
        sock.sendall(request_head("POST", path, {**JSON, "Content-Length": "99999999999"}))
        answer = read_answer(sock)  # no body was sent: waiting for one would end in 408
        elapsed = time.monotonic() - started
    assert answer.status == 413
    assert elapsed < BODY_TIMEOUT / 2
    assert answer.headers["content-type"] == media_type
    assert answer.headers["connection"] == "close"
    if media_type == PROBLEM:
        problem = answer.json()
        assert problem["type"].endswith("/payload-too-large")
        assert problem["declared"] == 99_999_999_999
        assert problem["limit"] == MAX_BODY_BYTES
        assert "99,999,999,999" in problem["detail"]


def test_a_chunked_body_growing_past_the_limit_is_cut_off(guarded_server: Server) -> None:
    """A chunked body (no declared length) is answered 413 once it passes the limit."""
    chunk = b"[" + b"0," * 2047 + b"0]"  # 4 KiB of JSON
    before = httpx.get(f"{guarded_server.base_url}/api/ledger").json()["size"]
    with connect(guarded_server) as sock:
        sock.sendall(
            request_head("POST", "/api/ledger/statements", {**JSON, "Transfer-Encoding": "chunked"})
        )
        with contextlib.suppress(OSError):  # the server may close before the last chunk
            for _ in range(MAX_BODY_BYTES // len(chunk) + 2):
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        answer = read_answer(sock)
    assert answer.status == 413
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["detail"] == (
        f"the request body passed {MAX_BODY_BYTES:,} bytes, the most accepted"
    )
    assert httpx.get(f"{guarded_server.base_url}/api/ledger").json()["size"] == before


def test_a_trickling_body_is_cut_off_after_the_timeout(guarded_server: Server) -> None:
    """A body arriving a byte at a time gets 408 once the body timeout has passed."""
    with connect(guarded_server) as sock:
        started = time.monotonic()
        sock.sendall(
            request_head("POST", "/api/ledger/statements", {**JSON, "Content-Length": "1000"})
        )
        answer = answer_while_trickling(sock)
        elapsed = time.monotonic() - started
    assert answer.status == 408
    assert BODY_TIMEOUT - 0.1 <= elapsed <= BODY_TIMEOUT + MARGIN
    problem = answer.json()
    assert problem["type"].endswith("/body-timeout")
    assert problem["seconds"] == BODY_TIMEOUT
    assert 0 < problem["received"] < 1000
    assert answer.headers["connection"] == "close"


def test_a_client_hanging_up_mid_body_is_one_info_line_and_no_server_error(
    guarded_server: Server,
) -> None:
    """Half a body, then a closed socket: one info log line, no traceback, no 5xx counted."""
    aborted_before = guarded_server.metric("499")
    errors_before = guarded_server.server_errors()
    log_before = len(guarded_server.log_events())
    with connect(guarded_server) as sock:
        sock.sendall(
            request_head("POST", "/api/ledger/statements", {**JSON, "Content-Length": "1000"})
            + b"{" * 500
        )
        time.sleep(0.2)  # let the server start reading the body
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        new = guarded_server.log_events()[log_before:]
        if any(e.get("event") == "request.aborted" for e in new):
            break
        time.sleep(0.05)
    time.sleep(0.2)  # anything logged after the abort line would come now
    new = guarded_server.log_events()[log_before:]
    aborted = [e for e in new if e.get("event") == "request.aborted"]
    assert len(aborted) == 1, new
    assert aborted[0]["level"] == "info"
    assert aborted[0]["path"] == "/api/ledger/statements"
    assert (aborted[0]["received"], aborted[0]["declared"]) == (500, 1000)
    assert "exception" not in aborted[0]
    text = "\n".join(str(e) for e in new)
    assert "Traceback" not in text
    assert "Exception in ASGI application" not in text
    assert not [e for e in new if e.get("level") in ("error", "warning", "critical")]
    assert guarded_server.metric("499") == aborted_before + 1
    assert guarded_server.server_errors() == errors_before


def test_bodies_read_at_once_are_bounded(guarded_server: Server) -> None:
    """With every body slot held by a stalled upload, one more body waits, then gets 503 with
    Retry-After; requests without a body still pass; once the slots free, bodies go through."""
    holders = [connect(guarded_server) for _ in range(MAX_BODIES)]
    try:
        for sock in holders:
            sock.sendall(
                request_head("POST", "/api/ledger/statements", {**JSON, "Content-Length": "100"})
            )
        time.sleep(0.3)  # the server has taken a slot for each
        health = httpx.get(f"{guarded_server.base_url}/healthz", timeout=2)
        assert health.status_code == 200
        started = time.monotonic()
        refused = httpx.post(
            f"{guarded_server.base_url}/api/ledger/statements",
            content=b"{}",
            headers=JSON,
            timeout=10,
        )
        waited = time.monotonic() - started
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        assert refused.headers["content-type"] == PROBLEM
        assert refused.json()["type"].endswith("/server-busy")
        assert SLOT_WAIT - 0.1 <= waited <= SLOT_WAIT + MARGIN
        for sock in holders:  # the stalled uploads end at their body timeout
            assert read_answer(sock).status == 408
    finally:
        for sock in holders:
            sock.close()
    through = httpx.post(
        f"{guarded_server.base_url}/api/ledger/statements", content=b"{}", headers=JSON
    )
    assert through.status_code == 422  # read and judged by the ledger: not a statement
