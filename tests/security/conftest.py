"""Fixtures for the hostile-request tests: a real ``wenyuan serve`` process on loopback.

The server is the command an operator runs, in its own process, configured through its
settings (``WENYUAN_*``) with short limits so the tests stay fast: a 2 s body timeout, two
bodies read at once, 16 KiB bodies, JSON log lines. Its log (stderr) goes to a file the
tests read. Raw sockets speak HTTP/1.1 where a well-behaved client library would not send
what an attacker sends (a false ``Content-Length``, half a body, a trickle).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

WENYUAN = [sys.executable, "-c", "from wenyuan.cli import main; main()"]

BODY_TIMEOUT = 2.0
MAX_BODIES = 2
MAX_BODY_BYTES = 16_384  # below a ledger leaf (64 KiB), so the guard refuses first
SLOT_WAIT = 1.0  # min(1 s, BODY_TIMEOUT): how long a body waits for a slot before 503
MARGIN = 1.5  # seconds allowed beyond a timeout on a shared, busy machine


@dataclass
class Server:
    """A running ``wenyuan serve``: where it listens and where its log goes."""

    port: int
    log_file: Path
    process: subprocess.Popen[bytes]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_events(self) -> list[dict[str, Any]]:
        """The JSON log lines written so far, decoded; other lines as ``{"line": text}``."""
        events = []
        for line in self.log_file.read_text("utf-8", errors="replace").splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                events.append({"line": line})
        return events

    def log_text(self) -> str:
        return self.log_file.read_text("utf-8", errors="replace")

    def metric(self, status: str) -> float:
        """The sum of ``wenyuan_http_requests_total`` samples with this status label."""
        text = httpx.get(f"{self.base_url}/metrics", timeout=5).text
        pattern = re.compile(
            r'^wenyuan_http_requests_total\{[^}]*status="' + re.escape(status) + r'"[^}]*\} (\S+)$',
            re.MULTILINE,
        )
        return sum(float(value) for value in pattern.findall(text))

    def server_errors(self) -> float:
        """Requests counted with any 5xx status."""
        text = httpx.get(f"{self.base_url}/metrics", timeout=5).text
        found = re.findall(
            r'^wenyuan_http_requests_total\{[^}]*status="5\d\d"[^}]*\} (\S+)$', text, re.MULTILINE
        )
        return sum(float(value) for value in found)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(data_dir: Path, **settings: str) -> Server:
    """Start ``wenyuan serve`` on a free loopback port with these ``WENYUAN_*`` settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WENYUAN_")}
    env.update(
        {
            "WENYUAN_DATA_DIR": str(data_dir),
            "WENYUAN_LOG_JSON": "true",
            "WENYUAN_BODY_TIMEOUT": str(BODY_TIMEOUT),
            "WENYUAN_MAX_CONCURRENT_BODIES": str(MAX_BODIES),
            "WENYUAN_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
            **{f"WENYUAN_{k.upper()}": v for k, v in settings.items()},
        }
    )
    port = free_port()
    log_file = data_dir.parent / f"server-{port}.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [*WENYUAN, "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(port, log_file, process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"wenyuan serve exited during start-up:\n{server.log_text()}")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    stop_server(server)
    pytest.fail(f"wenyuan serve did not answer /healthz within 60 s:\n{server.log_text()}")


def stop_server(server: Server) -> None:
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def guarded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``wenyuan serve`` with the default hosts and short body limits (see the module)."""
    server = start_server(tmp_path_factory.mktemp("guarded") / "data")
    yield server
    stop_server(server)


# -- raw HTTP/1.1 -----------------------------------------------------------------------------


def connect(server: Server, timeout: float = 10.0) -> socket.socket:
    """A TCP connection to the server, with a read timeout."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    return sock


def request_head(method: str, path: str, headers: dict[str, str], host: str = "127.0.0.1") -> bytes:
    """The request line and headers, ``Host`` first, ready to send."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@dataclass
class Answer:
    """A response read off a raw socket: status, headers (lower-case names), body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def read_answer(sock: socket.socket) -> Answer:
    """Read one response (its headers, then ``Content-Length`` bytes, or to the close)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"the server closed the connection; got {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return Answer(int(status_line.split()[1]), headers, body)


def trickle(sock: socket.socket, stop: threading.Event) -> None:
    """Send one byte every 0.2 s until told to stop or the server hangs up."""
    with contextlib.suppress(OSError):
        while not stop.wait(0.2):
            sock.sendall(b" ")


def answer_while_trickling(sock: socket.socket) -> Answer:
    """Trickle a body (one byte every 0.2 s) on ``sock`` until the server answers."""
    stop = threading.Event()
    trickler = threading.Thread(target=trickle, args=(sock, stop), daemon=True)
    trickler.start()
    try:
        return read_answer(sock)
    finally:
        stop.set()
        trickler.join()
