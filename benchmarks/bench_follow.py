"""How soon a record committed by one process is found on a server with its own index.

A ``wenyuan serve`` process (node B: its own data folder, its own search index) runs on a
database shared with this script, which plays the writing node: it commits one record at a
time through ``RecordStore.upsert_batch`` and polls node B's ``/api/search`` every 5 ms
until the record is found. Three set-ups: PostgreSQL with LISTEN/NOTIFY (the default),
PostgreSQL polling only (``WENYUAN_INDEX_LISTEN=false``), SQLite polling (one database file
shared by both). Then the follower's cost when nothing happens: the server's CPU time over
an idle period, with the follower polling every second, against one that looks once a
minute (``WENYUAN_INDEX_FOLLOW_INTERVAL=60``, LISTEN off: as good as no follower).

    .venv/bin/python benchmarks/bench_follow.py [--rounds 15] [--idle 20]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Prints a markdown block for docs/benchmarks.md, also written to
``benchmarks/results/follow-<date>.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from _common import RESULTS_DIR, machine_line
from wenyuan.core.db import create_engine, migrate
from wenyuan.resources import MIGRATIONS, Provenance, Record, RecordStore

WENYUAN = str(Path(sys.executable).with_name("wenyuan"))
_TICKS = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return dict(json.loads(response.read()))


@contextmanager
def node(data_dir: Path, database_url: str, **extra: str) -> Iterator[tuple[str, int]]:
    """A ``wenyuan serve`` process; yields its base URL and pid."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WENYUAN_")}
    env.update(
        WENYUAN_DATA_DIR=str(data_dir),
        WENYUAN_DATABASE_URL=database_url,
        WENYUAN_LOG_LEVEL="warning",
        **extra,
    )
    process = subprocess.Popen(
        [WENYUAN, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(f"{base}/healthz")
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("wenyuan serve did not start") from None
                time.sleep(0.1)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        separator = "&" if "?" in url else "?"
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _record(token: str) -> Record:
    return Record(
        source="bench",
        source_id=token,
        type="object",
        labels={"en": f"Benchmark object {token}"},
        provenance=Provenance(source="bench", file="bench", position=token),
    )


def visibility(database_url: str, work: Path, rounds: int, **extra: str) -> list[float]:
    """Seconds from each commit to the record being found on a fresh node."""
    engine = create_engine(database_url)
    migrate(engine, [MIGRATIONS])
    store = RecordStore(engine)
    seconds: list[float] = []
    rng = random.Random(2024)
    try:
        with node(work / f"node-{uuid.uuid4().hex[:6]}", database_url, **extra) as (base, _):
            time.sleep(1.5)  # past start-up: the follower is in its steady state
            for _ in range(rounds):
                token = f"zq{uuid.uuid4().hex[:10]}"
                store.upsert_batch([_record(token)])
                committed = time.perf_counter()
                while not _get(f"{base}/api/search?q={token}&limit=1")["total"]:
                    if time.perf_counter() - committed > 30:
                        raise RuntimeError(f"{token} never appeared")
                    time.sleep(0.005)
                seconds.append(time.perf_counter() - committed)
                time.sleep(rng.uniform(0.2, 1.2))  # commits at every phase of the poll interval
    finally:
        engine.dispose()
    return seconds


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def idle_cpu(database_url: str, work: Path, idle: float, **extra: str) -> float:
    """CPU milliseconds per minute an idle server spends."""
    engine = create_engine(database_url)
    migrate(engine, [MIGRATIONS])
    engine.dispose()
    with node(work / f"idle-{uuid.uuid4().hex[:6]}", database_url, **extra) as (_, pid):
        time.sleep(2.0)
        before = _cpu_seconds(pid)
        time.sleep(idle)
        spent = _cpu_seconds(pid) - before
    return spent / idle * 60 * 1000


def _summary(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    return f"{statistics.median(ms):.0f} ms | {ms[-1]:.0f} ms | {ms[0]:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--idle", type=float, default=20.0)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "WENYUAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    rows: list[str] = []
    idle_rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="wenyuan-follow-") as tmp:
        work = Path(tmp)
        for label, listen in (
            ("PostgreSQL, LISTEN/NOTIFY", "true"),
            ("PostgreSQL, polling", "false"),
        ):
            with postgres_schema(args.postgres_url) as url:
                found = visibility(url, work, args.rounds, WENYUAN_INDEX_LISTEN=listen)
            rows.append(f"| {label} | {args.rounds} | {_summary(found)} |")
            print(rows[-1], file=sys.stderr)
        sqlite_url = f"sqlite:///{work / 'shared.db'}"
        found = visibility(sqlite_url, work, args.rounds)
        rows.append(f"| SQLite, polling | {args.rounds} | {_summary(found)} |")
        print(rows[-1], file=sys.stderr)
        for label, extra in (
            ("follower, LISTEN/NOTIFY + poll every 1 s", {"WENYUAN_INDEX_LISTEN": "true"}),
            ("follower, poll every 1 s", {"WENYUAN_INDEX_LISTEN": "false"}),
            (
                "as good as none (poll every 60 s, no LISTEN)",
                {"WENYUAN_INDEX_LISTEN": "false", "WENYUAN_INDEX_FOLLOW_INTERVAL": "60"},
            ),
        ):
            with postgres_schema(args.postgres_url) as url:
                cost = idle_cpu(url, work, args.idle, **extra)
            idle_rows.append(f"| {label} | {cost:.0f} ms |")
            print(idle_rows[-1], file=sys.stderr)
    block = "\n".join(
        [
            f"Run: {machine_line()}; {args.rounds} commits per set-up, one record each.",
            "",
            "| set-up | commits | median | worst | best |",
            "|---|---|---|---|---|",
            *rows,
            "",
            "An idle server (PostgreSQL, nothing written), CPU time per minute, measured "
            f"over {args.idle:.0f} s:",
            "",
            "| server | CPU per minute |",
            "|---|---|",
            *idle_rows,
        ]
    )
    print(block)
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"follow-{time.strftime('%Y-%m-%d')}.md").write_text(block + "\n")


if __name__ == "__main__":
    main()
