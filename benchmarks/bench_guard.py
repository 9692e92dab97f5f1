"""The request guard: how hostile requests are answered, and what the guard costs.

Part 1 starts ``wenyuan serve`` (an empty data folder, body timeout 1 s, 8 bodies at once,
1 MiB bodies) and sends hostile requests of each kind over raw sockets, tallying the
answers; aborted uploads are checked in ``/metrics`` (status 499) and in the server's log.
Part 2 serves the sample collection in-process with uvicorn, with and without the guard,
and times ``GET /api/search?q=月`` and a small ``POST /api/ledger/statements`` over one
keep-alive connection, alternating the two apps to spread the machine's drift evenly.

Run: .venv/bin/python benchmarks/bench_guard.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from wenyuan._guards import RequestGuard
from wenyuan.app import Platform
from wenyuan.asgi import create_app
from wenyuan.core.config import Settings

WENYUAN = [sys.executable, "-c", "from wenyuan.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _head(method: str, path: str, headers: dict[str, str], host: str = "127.0.0.1") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _status(sock: socket.socket) -> str:
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                return "closed"
            data += chunk
    except OSError as exc:
        return type(exc).__name__
    return data.split(b" ", 2)[1].decode()


def _exchange(port: int, payload: bytes, *, trickle: int = 0, chunks: list[bytes] = ()) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(payload)
        try:
            for chunk in chunks:
                sock.sendall(chunk)
            for _ in range(trickle):
                sock.sendall(b" ")
                time.sleep(0.1)
        except OSError:
            pass
        return _status(sock)


def probe(runs: int) -> dict[str, dict[str, int]]:
    """Send each kind of hostile request ``runs`` times (slow ones fewer); tally answers."""
    tmp = Path(tempfile.mkdtemp(prefix="wenyuan-guard-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("WENYUAN_")}
    env.update(
        WENYUAN_DATA_DIR=str(tmp / "data"),
        WENYUAN_LOG_JSON="true",
        WENYUAN_BODY_TIMEOUT="1",
        WENYUAN_MAX_CONCURRENT_BODIES="8",
    )
    port = _free_port()
    log_path = tmp / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [*WENYUAN, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    tally: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    json_ct = {"Content-Type": "application/json"}
    statements = "/api/ledger/statements"
    try:
        for _ in range(runs):
            tally["huge declared length"][
                _exchange(
                    port, _head("POST", statements, {**json_ct, "Content-Length": "99999999999"})
                )
            ] += 1
            tally["bad host"][
                _exchange(port, _head("GET", "/api/resources/", {}, "evil.example"))
            ] += 1
            for ct in ("text/plain", None, "application/x-www-form-urlencoded"):
                headers = {"Content-Length": "2"} | ({"Content-Type": ct} if ct else {})
                tally["bad content type"][
                    _exchange(port, _head("POST", statements, headers) + b"{}")
                ] += 1
        block = b"x" * 65536
        chunk = b"%x\r\n%s\r\n" % (len(block), block)
        for _ in range(max(1, runs // 5)):
            tally["oversized chunked"][
                _exchange(
                    port,
                    _head("POST", statements, {**json_ct, "Transfer-Encoding": "chunked"}),
                    chunks=[chunk] * 20,
                )
            ] += 1
        for _ in range(max(1, runs // 10)):
            tally["slow body (sequential)"][
                _exchange(
                    port,
                    _head("POST", statements, {**json_ct, "Content-Length": "100"}),
                    trickle=30,
                )
            ] += 1
        results: list[str] = []
        threads = [
            threading.Thread(
                target=lambda: results.append(
                    _exchange(
                        port,
                        _head("POST", statements, {**json_ct, "Content-Length": "100"}),
                        trickle=30,
                    )
                )
            )
            for _ in range(20)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        tally["slow bodies, 20 at once (bound 8)"].update(results)
        metrics_before = httpx.get(f"{base}/metrics").text
        for _ in range(runs):
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.sendall(
                    _head("POST", statements, {**json_ct, "Content-Length": "1000"}) + b"{" * 500
                )
                time.sleep(0.02)
        time.sleep(0.5)
        metrics_after = httpx.get(f"{base}/metrics").text
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)

    def count(text: str, status: str) -> float:
        pattern = r'wenyuan_http_requests_total\{[^}]*status="' + status + r'"[^}]*\} (\S+)'
        return sum(float(v) for v in re.findall(pattern, text))

    log_text = log_path.read_text("utf-8", errors="replace")
    events = [json.loads(line) for line in log_text.splitlines() if line.startswith("{")]
    tally["aborted upload"]["counted 499"] = int(
        count(metrics_after, "499") - count(metrics_before, "499")
    )
    tally["aborted upload"]["counted 5xx"] = int(
        count(metrics_after, "5\\d\\d") - count(metrics_before, "5\\d\\d")
    )
    tally["aborted upload"]["info lines request.aborted"] = sum(
        1 for e in events if e.get("event") == "request.aborted" and e.get("level") == "info"
    )
    tally["aborted upload"]["tracebacks in log"] = log_text.count("Traceback")
    return {kind: dict(counter) for kind, counter in tally.items()}


def _serve(app: object) -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    return server, thread, url


def overhead(requests: int) -> dict[str, dict[str, float]]:
    """Requests per second with and without the guard, for a search and a small POST."""
    platform = Platform(Settings(data_dir=Path(tempfile.mkdtemp(prefix="wenyuan-guard-"))))
    platform.load_sample()
    guarded = create_app(platform.settings, platform=platform)
    bare = create_app(platform.settings, platform=platform)
    bare.user_middleware = [m for m in bare.user_middleware if m.cls is not RequestGuard]
    servers = {name: _serve(app) for name, app in (("with guard", guarded), ("without", bare))}
    timings: dict[str, dict[str, list[float]]] = {
        name: {"GET /api/search?q=月": [], "POST statements (2 bytes)": []} for name in servers
    }
    rounds = 4
    try:
        for _ in range(rounds):
            for name, (_, _, url) in servers.items():
                with httpx.Client(base_url=url) as client:
                    client.get("/api/search", params={"q": "月"})
                    started = time.perf_counter()
                    for _ in range(requests // rounds):
                        assert client.get("/api/search", params={"q": "月"}).status_code == 200
                    timings[name]["GET /api/search?q=月"].append(time.perf_counter() - started)
                    started = time.perf_counter()
                    for _ in range(requests // rounds):
                        response = client.post(
                            "/api/ledger/statements",
                            content=b"{}",
                            headers={"Content-Type": "application/json"},
                        )
                        assert response.status_code == 422
                    timings[name]["POST statements (2 bytes)"].append(time.perf_counter() - started)
    finally:
        for server, thread, _ in servers.values():
            server.should_exit = True
            thread.join(timeout=10)
        platform.close()
    out: dict[str, dict[str, float]] = {}
    for kind in timings["with guard"]:
        with_guard = sum(timings["with guard"][kind])
        without = sum(timings["without"][kind])
        out[kind] = {
            "requests": requests // rounds * rounds,
            "with guard, µs/request": with_guard / requests * 1e6,
            "without, µs/request": without / requests * 1e6,
            "ratio with/without": with_guard / without,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=20, help="hostile requests of each kind")
    args = parser.parse_args()
    print(json.dumps({"hostile": probe(args.runs)}, ensure_ascii=False, indent=2))
    print(json.dumps({"overhead": overhead(args.requests)}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
