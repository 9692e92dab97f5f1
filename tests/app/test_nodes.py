"""Servers whose search index follows the change feed: writes by other processes show up.

Real ``wenyuan serve`` processes on loopback, each with a data folder of its own, share one
database (a fresh PostgreSQL schema, or one SQLite file); a separate ``wenyuan ingest``
process writes the records. Nothing is restarted between the write and the search.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from wenyuan.app import Platform, _indexer
from wenyuan.core.config import Settings
from wenyuan.resources.sources.sample import sample_path

WENYUAN = str(Path(sys.executable).with_name("wenyuan"))
#: The most seconds from the end of a write to the record being found on another node.
VISIBLE_WITHIN = 3.0
_START_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(data_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WENYUAN_")}
    env.update(
        WENYUAN_DATA_DIR=str(data_dir),
        WENYUAN_DATABASE_URL=database_url,
        WENYUAN_LOG_LEVEL="warning",
        **extra,
    )
    return env


def _get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@contextmanager
def serving_node(data_dir: Path, database_url: str, **extra: str) -> Iterator[str]:
    """A real ``wenyuan serve`` process on 127.0.0.1; yields its base URL, stops it after."""
    port = _free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "serve.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [WENYUAN, "serve", "--port", str(port)],
            env=_env(data_dir, database_url, **extra),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + _START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"wenyuan serve stopped: {log_path.read_text()}")
            try:
                if _get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"wenyuan serve did not answer within {_START_TIMEOUT}s")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            # uvicorn shuts down gracefully, then ends by the signal it was sent.
            code = process.wait(timeout=20)
            log_text = log_path.read_text()
            assert code in (0, -signal.SIGTERM), log_text
            assert "Traceback" not in log_text, log_text
            assert "error" not in log_text, log_text
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def _ingest_sample(data_dir: Path, database_url: str) -> float:
    """Run ``wenyuan ingest sample`` as its own process; returns when it ended (monotonic)."""
    result = subprocess.run(
        [WENYUAN, "ingest", "sample", str(sample_path()), "--json"],
        env=_env(data_dir, database_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    ended = time.monotonic()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["created"] >= 300
    return ended


def _seconds_until_found(base: str, since: float, query: str = "静夜思") -> float:
    """Poll ``base``'s search until ``query`` has hits; seconds from ``since``."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, body = _get(f"{base}/api/search?q={urllib.request.quote(query)}&limit=1")
        assert status == 200, body
        if body["total"]:
            return time.monotonic() - since
        time.sleep(0.05)
    pytest.fail(f"{query} never appeared on {base}")


@pytest.mark.parametrize("listen", ["true", "false"], ids=["listen-notify", "polling"])
def test_a_record_ingested_through_node_a_is_found_on_node_b(
    tmp_path: Path, postgres_url: str, listen: str
) -> None:
    """Two servers on one PostgreSQL, each with its own index: what is ingested through node
    A's data folder is found on node B within seconds, without a restart."""
    node_a, node_b = tmp_path / "node-a", tmp_path / "node-b"
    with (
        serving_node(node_a, postgres_url, WENYUAN_INDEX_LISTEN=listen) as base_a,
        serving_node(node_b, postgres_url, WENYUAN_INDEX_LISTEN=listen) as base_b,
    ):
        assert _get(f"{base_b}/api/search?q=%E9%9D%99%E5%A4%9C%E6%80%9D")[1]["total"] == 0
        ended = _ingest_sample(node_a, postgres_url)
        on_b = _seconds_until_found(base_b, ended)
        on_a = _seconds_until_found(base_a, ended)
        assert on_b < VISIBLE_WITHIN, on_b
        assert on_a < VISIBLE_WITHIN, on_a
        status, ready = _get(f"{base_b}/readyz")
        assert (status, ready["index_lag"]) == (200, 0)


def test_a_server_on_sqlite_polls_writes_of_another_process(tmp_path: Path) -> None:
    """On SQLite (no notifications) a server finds records that another process wrote into
    the same database, indexed elsewhere, by polling the feed; and a CLI ingest into the
    server's own data folder beside it succeeds and is found too."""
    shared_db = f"sqlite:///{tmp_path / 'shared.db'}"
    with serving_node(tmp_path / "server", shared_db) as base:
        ended = _ingest_sample(tmp_path / "elsewhere", shared_db)
        assert _seconds_until_found(base, ended) < VISIBLE_WITHIN
    own = tmp_path / "own"
    own_db = f"sqlite:///{own / 'wenyuan.db'}"
    with serving_node(own, own_db) as base:
        ended = _ingest_sample(own, own_db)
        assert _seconds_until_found(base, ended, "李白") < VISIBLE_WITHIN


def test_an_ingest_with_its_background_indexer_beside_a_server_on_one_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ingest whose indexer runs in a second process, into the data folder of a running
    server: the server's follower and the indexer take turns on the index (neither fails),
    every record ends indexed, and the server finds them."""
    monkeypatch.setattr(_indexer, "START_AFTER", 10)
    data_dir = tmp_path / "shared"
    database_url = f"sqlite:///{data_dir / 'wenyuan.db'}"
    with serving_node(data_dir, database_url) as base:
        platform = Platform(
            Settings(data_dir=data_dir, database_url=database_url, ingest_batch_size=25)
        )
        try:
            report = platform.load_sample()
            ended = time.monotonic()
            assert report.index_lag == 0
            assert platform.index.count() == platform.store.count() == report.counts.created
        finally:
            platform.close()
        assert _seconds_until_found(base, ended) < VISIBLE_WITHIN
