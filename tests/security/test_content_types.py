"""JSON bodies for /api: any other Content-Type, or none, is 415 and stores nothing."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.security.conftest import Server, connect, read_answer, request_head
from wenyuan._guards import is_json_media_type
from wenyuan.ledger import encode_leaf, make_register

STATEMENTS = "/api/ledger/statements"


def _leaf(content: bytes) -> bytes:
    return encode_leaf(
        make_register(
            Ed25519PrivateKey.generate(),
            content_sha256=hashlib.sha256(content).hexdigest(),
            media_type="text/plain",
            title="快雪时晴帖",
            creators=["王羲之"],
        )
    )


def _size(server: Server) -> int:
    size: int = httpx.get(f"{server.base_url}/api/ledger").json()["size"]
    return size


@pytest.mark.parametrize(
    ("content_type", "named"),
    [
        ("text/plain", "text/plain"),
        ("text/plain; charset=utf-8", "text/plain; charset=utf-8"),
        ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
        ("multipart/form-data; boundary=x", "multipart/form-data; boundary=x"),
        ("application/jsonp", "application/jsonp"),
        ("text/json", "text/json"),
        (None, "none"),
    ],
    ids=["text", "text-charset", "form", "multipart", "jsonp", "text-json", "missing"],
)
def test_a_body_that_is_not_json_is_refused_with_415(
    guarded_server: Server, content_type: str | None, named: str
) -> None:
    """A statement sent as anything but JSON gets 415 naming the type received; the ledger
    is left as it was."""
    before = _size(guarded_server)
    leaf = _leaf(b"not json")
    headers = {"Content-Length": str(len(leaf))}
    if content_type is not None:
        headers["Content-Type"] = content_type
    with connect(guarded_server) as sock:
        sock.sendall(request_head("POST", STATEMENTS, headers) + leaf)
        answer = read_answer(sock)
    assert answer.status == 415
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"].endswith("/unsupported-media-type")
    assert problem["received"] == named
    assert problem["instance"] == STATEMENTS
    assert f"Content-Type is {named}" in problem["detail"]
    assert _size(guarded_server) == before


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/statement+json",
    ],
)
def test_a_json_body_goes_through(guarded_server: Server, content_type: str) -> None:
    """application/json, with parameters or any case, and application/*+json reach the route."""
    before = _size(guarded_server)
    response = httpx.post(
        f"{guarded_server.base_url}{STATEMENTS}",
        params={"wait": 0},
        content=_leaf(content_type.encode()),
        headers={"Content-Type": content_type},
    )
    assert response.status_code in (201, 202), response.text
    assert _size(guarded_server) == before + 1


def test_paths_outside_the_api_keep_their_own_types(guarded_server: Server) -> None:
    """The JSON rule is the API's: a text/plain POST elsewhere is answered by its route."""
    response = httpx.post(
        f"{guarded_server.base_url}/ledger/checkpoint",
        content=b"old 0\n",
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 405


def test_an_empty_post_is_judged_by_its_route(guarded_server: Server) -> None:
    """A POST without a body carries no media type to check: the route answers it."""
    response = httpx.post(f"{guarded_server.base_url}{STATEMENTS}")
    assert response.status_code == 422
    assert "statement leaf" in response.json()["detail"]


@pytest.mark.parametrize(
    ("value", "json"),
    [
        ("application/json", True),
        ("application/json;charset=utf-8", True),
        (" APPLICATION/JSON ; charset=UTF-8", True),
        ("application/ld+json", True),
        ("application/problem+json", True),
        ("application/jsonl", False),
        ("text/json", False),
        ("application/x-json-stream", False),
        ("", False),
        ("+json", False),
    ],
)
def test_json_media_types(value: str, json: bool) -> None:
    """JSON is application/json or application/*+json, parameters and case aside."""
    assert is_json_media_type(value) is json
