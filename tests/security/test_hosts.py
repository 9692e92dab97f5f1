"""The Host header: only allowed hosts are answered, and redirects never echo it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pydantic
import pytest

from tests.security.conftest import (
    Server,
    connect,
    read_answer,
    request_head,
    start_server,
    stop_server,
)
from wenyuan._guards import host_allowed
from wenyuan.core.config import Settings

PROBLEM = "application/problem+json"


@pytest.mark.parametrize(
    ("path", "media_type"),
    [("/api/resources/", PROBLEM), ("/api/search?q=x", PROBLEM), ("/", "text/html")],
    ids=["redirect", "api", "web"],
)
def test_a_foreign_host_is_refused_with_400(
    guarded_server: Server, path: str, media_type: str
) -> None:
    """Host: evil.example gets 400 naming the host, before any route (or redirect) runs."""
    with connect(guarded_server) as sock:
        sock.sendall(request_head("GET", path, {}, host="evil.example"))
        answer = read_answer(sock)
    assert answer.status == 400
    assert answer.headers["content-type"].startswith(media_type)
    assert "location" not in answer.headers
    assert b"evil.example" in answer.body
    if media_type == PROBLEM:
        assert answer.json()["type"].endswith("/host-not-allowed")
        assert answer.json()["host"] == "evil.example"


def test_a_request_without_host_is_refused(guarded_server: Server) -> None:
    """An HTTP/1.0 request with no Host at all gets 400 too."""
    with connect(guarded_server) as sock:
        sock.sendall(b"GET /api/search?q=x HTTP/1.0\r\n\r\n")
        answer = read_answer(sock)
    assert answer.status == 400
    assert answer.json()["host"] == "none"


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "LOCALHOST", "[::1]"])
def test_the_loopback_names_are_answered_with_any_port(guarded_server: Server, name: str) -> None:
    """By default the loopback names, with or without a port, are served normally."""
    for host in (name, f"{name}:{guarded_server.port}", f"{name}:8443"):
        with connect(guarded_server) as sock:
            sock.sendall(request_head("GET", "/api/search?q=%E6%9C%88", {}, host=host))
            answer = read_answer(sock)
        assert answer.status == 200, (host, answer.body)
        assert answer.json()["total"] == 0


def test_a_slash_redirect_is_relative(guarded_server: Server) -> None:
    """GET /api/resources/ redirects to the relative /api/resources, keeping the query."""
    with connect(guarded_server) as sock:
        host = f"localhost:{guarded_server.port}"
        sock.sendall(request_head("GET", "/api/resources/?limit=2", {}, host=host))
        answer = read_answer(sock)
    assert answer.status == 307
    assert answer.headers["location"] == "/api/resources?limit=2"


@pytest.fixture(scope="module")
def public_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``wenyuan serve`` known as https://museum.example, answering its subdomains and
    127.0.0.1 (as behind a proxy on the same machine)."""
    server = start_server(
        tmp_path_factory.mktemp("public") / "data",
        public_url="https://museum.example/",
        allowed_hosts="*.museum.example, 127.0.0.1",
    )
    yield server
    stop_server(server)


def test_a_redirect_uses_the_public_url(public_server: Server) -> None:
    """With WENYUAN_PUBLIC_URL set, redirects are built from it, whatever Host was sent."""
    for host in ("127.0.0.1", "www.museum.example"):
        with connect(public_server) as sock:
            sock.sendall(request_head("GET", "/api/resources/", {}, host=host))
            answer = read_answer(sock)
        assert answer.status == 307
        assert answer.headers["location"] == "https://museum.example/api/resources"


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("www.museum.example", 200),
        ("a.b.museum.example:443", 200),
        ("museum.example", 400),  # the wildcard names subdomains only
        ("evilmuseum.example", 400),
        ("localhost", 400),  # no longer listed
    ],
)
def test_a_wildcard_allows_subdomains(public_server: Server, host: str, status: int) -> None:
    """``*.museum.example`` answers its subdomains and nothing else."""
    with connect(public_server) as sock:
        sock.sendall(request_head("GET", "/healthz", {}, host=host))
        assert read_answer(sock).status == status


@pytest.mark.parametrize(
    ("host", "patterns", "allowed"),
    [
        ("127.0.0.1:8000", ["127.0.0.1"], True),
        ("[::1]:8000", ["::1"], True),
        ("[0:0:0:0:0:0:0:1]", ["::1"], True),
        ("Museum.Example.", ["museum.example"], True),
        ("x.museum.example", ["*.museum.example"], True),
        ("museum.example", ["*.museum.example"], False),
        ("anything.example:1", ["*"], True),
        ("", ["*"], True),
        ("", ["localhost"], False),
        ("localhost:http", ["localhost"], False),
        ("[::1", ["::1"], False),
        ("[::1]x", ["::1"], False),
        ("127.0.0.1.evil.example", ["127.0.0.1"], False),
    ],
)
def test_host_patterns(host: str, patterns: list[str], allowed: bool) -> None:
    """Host values match names exactly, ``*.name`` by subdomain, ``*`` always; malformed
    values match nothing but ``*``."""
    assert host_allowed(host, patterns) is allowed


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("museum.example", ["museum.example"]),
        (" Museum.Example , *.museum.example ", ["museum.example", "*.museum.example"]),
        ('["[::1]", "localhost"]', ["::1", "localhost"]),
        ("[::1]", ["::1"]),
        ("*", ["*"]),
    ],
)
def test_allowed_hosts_setting_is_parsed(
    raw: str, parsed: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """WENYUAN_ALLOWED_HOSTS takes names separated by commas, or a JSON list."""
    monkeypatch.setenv("WENYUAN_ALLOWED_HOSTS", raw)
    assert Settings(data_dir=tmp_path).allowed_hosts == parsed


@pytest.mark.parametrize(
    "bad", ["http://museum.example", "museum.example:443", "museum.example/x", "*museum.example"]
)
def test_a_bad_allowed_host_is_refused_by_name(bad: str, tmp_path: Path) -> None:
    """A scheme, port, path or misplaced wildcard is a settings error naming the entry."""
    with pytest.raises(pydantic.ValidationError, match="is not a host name") as caught:
        Settings(data_dir=tmp_path, allowed_hosts=[bad])
    assert repr(bad) in str(caught.value)


@pytest.mark.parametrize("bad", ["museum.example", "ftp://museum.example", "https://m.example/?a"])
def test_a_bad_public_url_is_refused(bad: str, tmp_path: Path) -> None:
    """WENYUAN_PUBLIC_URL must be an http(s) URL with a host and no query."""
    with pytest.raises(pydantic.ValidationError, match="is not a public URL"):
        Settings(data_dir=tmp_path, public_url=bad)
