"""The durable log: appends, group commit, one writer, crash recovery, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from wenyuan.core.errors import InvalidInput, StorageError
from wenyuan.ledger import Log, LogBusy, LogCorrupted, MerkleTree, leaf_hash
from wenyuan.ledger._log import MAX_LEAF_BYTES, Pending

ORIGIN = "test.wenyuan.example/log"


def _root_of(leaves: Sequence[bytes]) -> bytes:
    tree = MerkleTree()
    tree.extend(leaf_hash(leaf) for leaf in leaves)
    return tree.root()


def test_appends_are_durable_and_reopen_to_the_same_tree(engine: Engine) -> None:
    with Log(engine, ORIGIN) as ledger:
        assert ledger.append(b"first") == 0
        assert ledger.append_many([b"second", b"third"]) == range(1, 3)
        assert ledger.size == 3
        root = ledger.root()
    assert root == _root_of([b"first", b"second", b"third"])
    with Log(engine, ORIGIN, writable=False) as reader:
        assert reader.size == 3
        assert reader.root() == root
        assert reader.leaves(0, 3) == [b"first", b"second", b"third"]
        assert reader.leaf(1) == b"second"


def test_concurrent_single_appends_share_commits_and_lose_nothing(engine: Engine) -> None:
    results: list[int] = []
    lock = threading.Lock()

    with Log(engine, ORIGIN) as ledger:

        def client(number: int) -> None:
            for k in range(25):
                index = ledger.append(f"client {number} entry {k}".encode())
                with lock:
                    results.append(index)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == list(range(400))
        stored = ledger.leaves(0, 400)
        assert ledger.root() == _root_of(stored)
        assert len(set(stored)) == 400
        # Each client's own entries stay in the order it appended them.
        for number in range(16):
            mine = [leaf for leaf in stored if leaf.startswith(f"client {number} ".encode())]
            assert mine == [f"client {number} entry {k}".encode() for k in range(25)]


def test_a_second_writer_is_refused_while_readers_are_not(engine: Engine) -> None:
    with Log(engine, ORIGIN) as ledger:
        ledger.append(b"x")
        with pytest.raises(LogBusy):
            Log(engine, ORIGIN)
        with Log(engine, ORIGIN, writable=False) as reader:
            assert reader.size == 1
            ledger.append(b"y")
            assert reader.refresh() == 1
            assert reader.root() == ledger.root()
    with Log(engine, ORIGIN) as again:  # the lock went with the first writer
        assert again.size == 2


def test_bad_leaves_are_refused_and_nothing_is_appended(engine: Engine) -> None:
    with Log(engine, ORIGIN) as ledger:
        with pytest.raises(InvalidInput, match="65,535"):
            ledger.append(b"x" * (MAX_LEAF_BYTES + 1))
        with pytest.raises(InvalidInput, match="nothing to append"):
            ledger.append_many([])
        with pytest.raises(InvalidInput, match="not bytes"):
            ledger.append_many(["text"])  # type: ignore[list-item]
        assert ledger.size == 0


def test_a_failing_batch_changes_nothing_and_the_log_goes_on(engine: Engine) -> None:
    calls: list[int] = []

    def hook(conn: Connection, start: int, batch: Sequence[Pending]) -> None:
        calls.append(start)
        if any(item.meta == "fail" for item in batch):
            raise StorageError("the registry view could not be written")

    with Log(engine, ORIGIN, hook=hook) as ledger:
        ledger.append(b"a")
        with pytest.raises(StorageError, match="registry view"):
            ledger.append(b"b", meta="fail")
        assert ledger.size == 1
        assert ledger.append(b"c") == 1
    with engine.connect() as conn:
        stored = [bytes(r[0]) for r in conn.execute(sa.text("SELECT leaf FROM ledger_entries"))]
    assert sorted(stored) == [b"a", b"c"]
    assert calls[0] == 0


def test_a_log_that_does_not_match_its_checkpoint_refuses_to_open(engine: Engine) -> None:
    with Log(engine, ORIGIN) as ledger:
        ledger.append_many([b"a", b"b", b"c"])
        log_id = ledger.log_id
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO ledger_checkpoints (log_id, size, root, note, created_at) "
                "VALUES (:log_id, 3, :root, 'note', CURRENT_TIMESTAMP)"
            ),
            {"log_id": log_id, "root": b"\x00" * 32},
        )
    with pytest.raises(LogCorrupted, match="tree head it signed"):
        Log(engine, ORIGIN)


_WRITER = """
import sys
from wenyuan.core.db import create_engine
from wenyuan.ledger import Log
engine = create_engine(sys.argv[1])
ledger = Log(engine, "crash.wenyuan.example/log")
futures = []
n = 0
while True:
    for _ in range(50):
        futures.append(ledger.submit([b"entry %d" % n] * 1))
        n += 1
    for future in futures:
        print(future.result().start, flush=True)
    futures.clear()
"""


def test_kill_9_mid_batch_keeps_every_acknowledged_entry(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, database_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert writer.stdout is not None
    acknowledged: list[int] = []
    deadline = time.monotonic() + 60
    while len(acknowledged) < 1500 and time.monotonic() < deadline:
        line = writer.stdout.readline()
        if not line:
            break
        acknowledged.append(int(line))
    os.kill(writer.pid, signal.SIGKILL)
    _, errors = writer.communicate()
    assert len(acknowledged) >= 1500, errors
    with Log(engine, "crash.wenyuan.example/log") as reopened:
        assert reopened.size >= max(acknowledged) + 1
        stored = reopened.leaves(0, reopened.size)
        assert stored == [b"entry %d" % n for n in range(reopened.size)]
        assert reopened.root() == _root_of(stored)
        assert reopened.append(b"after the crash") == reopened.size - 1
