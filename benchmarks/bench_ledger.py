"""Benchmark the trust ledger's durable Merkle log against pymerkle's SQLite tree.

What it measures (issue 3, "Measured"), on deterministic pseudo-random 500-byte leaves (a
signed statement is ~400–600 bytes), each side in its own child process so that peak memory
and timing are its own:

1. **Bulk append, durable**: ``--entries`` leaves (default 1,000,000) through
   ``Log.append_many`` in batches of ``--batch``; the peer, ``pymerkle.SqliteTree``, through
   its bulk ``append_entries`` in batches of the same size (one transaction per call). Only
   the append calls are timed, not making the leaves. The SHA-256 limit (``hashlib`` over the
   same leaves: the leaf hash and one node hash each) is measured in the same run.
2. **Single-entry appends**: ``--clients`` threads (default 16) each calling ``Log.append``
   one entry at a time (group commit); the peer appends one entry then commits
   (``append_entry``), in its default journal mode and again after
   ``PRAGMA journal_mode=WAL; synchronous=FULL`` on its connection. One client alone on our
   log is shown too.
3. **Proofs** at ``--entries``: p50/p95 generation and verification over ``--proofs`` seeded
   random leaf indexes (inclusion) and old sizes (consistency), ours and the peer's; hashes
   and bytes per inclusion proof (hashes × 32, and as compact JSON with base64 hashes).
4. **Recovery**: a writer subprocess reopens the log, inserts a checkpoint row for its size,
   appends pipelined batches and prints every acknowledged range; it is killed with SIGKILL
   mid-stream, then ``Log(engine, origin)`` is timed in a fresh process (it reads every
   entry, rebuilds the tree and checks the newest checkpoint) and every acknowledged entry is
   checked to be present, byte for byte.

Durability: our writer connection runs WAL with ``synchronous=FULL``. pymerkle opens SQLite
with Python's defaults; the script reads its ``journal_mode`` and ``synchronous`` off its
connection and prints them.

Hazards: the machine is shared; the 1-minute load average and the CPUs other processes
used (from ``/proc/stat``) are printed for each timed phase, and phases that shared the CPUs
are named. The recovery reopen reads a database that was just written, so it is served from the
page cache (a cold start adds the disk read). ``--data-dir`` is deleted and rebuilt.

Run: ``.venv/bin/python benchmarks/bench_ledger.py [--entries 1000000] [--peer-entries N]
[--data-dir /tmp/wenyuan-ledger-bench] [--batch 16384] [--clients 16] [--proofs 1000]``
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_line, percentile, write_result

__all__ = ["main"]

ORIGIN = "bench.wenyuan.example/ledger"
LEAF_BYTES = 500
SEED_BULK = 1
SEED_SINGLE = 2
SEED_CONCURRENT = 3
SEED_RECOVERY = 4
SEED_PEER_SINGLE = 5
RESULT_PREFIX = "RESULT "


# -- shared helpers ---------------------------------------------------------------------------


def make_leaf(seed: int, number: int) -> bytes:
    """Leaf ``number`` of stream ``seed``: 500 pseudo-random bytes, the same in every run."""
    return hashlib.shake_256(b"%d:%d" % (seed, number)).digest(LEAF_BYTES)


def make_leaves(seed: int, start: int, count: int) -> list[bytes]:
    return [make_leaf(seed, number) for number in range(start, start + count)]


def batches(total: int, size: int) -> list[tuple[int, int]]:
    """``(start, count)`` of consecutive batches covering ``total`` entries."""
    return [(start, min(size, total - start)) for start in range(0, total, size)]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load() -> float:
    return os.getloadavg()[0]


def cpu_snapshot() -> tuple[float, float, float]:
    """(wall clock, busy CPU-seconds of the whole machine, CPU-seconds of this process)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    busy = (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), busy, usage.ru_utime + usage.ru_stime


class Watch:
    """What else ran during a timed phase: the 1-minute load average before and after, and
    how many CPUs other processes kept busy on average (``/proc/stat`` minus this process).

    The load average trails by a minute and counts this benchmark; the CPU share does not.
    """

    def __init__(self) -> None:
        self.load = load()
        self.start = cpu_snapshot()

    def stop(self) -> dict[str, Any]:
        end = cpu_snapshot()
        wall = end[0] - self.start[0]
        other = (end[1] - self.start[1]) - (end[2] - self.start[2])
        return {"load": [self.load, load()], "others": max(0.0, other / wall) if wall else 0.0}


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def timed_calls(
    run: Callable[[int], object], items: Sequence[int], warmup: int = 20
) -> list[float]:
    """Seconds per ``run(item)``, after ``warmup`` untimed calls."""
    for item in items[:warmup]:
        run(item)
    clock = time.perf_counter
    samples: list[float] = []
    for item in items:
        started = clock()
        run(item)
        samples.append(clock() - started)
    return samples


def quantiles(samples: Sequence[float]) -> dict[str, float]:
    return {"p50": percentile(samples, 50), "p95": percentile(samples, 95), "n": len(samples)}


def files_bytes(*paths: Path) -> int:
    return sum(p.stat().st_size for p in paths if p.exists())


def proof_json(index: int, size: int, hashes: Sequence[bytes]) -> str:
    """An inclusion proof as a client would receive it: compact JSON, base64 hashes."""
    body = {
        "leaf_index": index,
        "tree_size": size,
        "inclusion_path": [base64.b64encode(h).decode("ascii") for h in hashes],
    }
    return json.dumps(body, separators=(",", ":"))


def proof_figures(
    size: int,
    timings: tuple[Sequence[float], Sequence[float], Sequence[float], Sequence[float]],
    hashes: Sequence[int],
    json_bytes: Sequence[int],
    consistency_hashes: Sequence[int],
) -> dict[str, Any]:
    """The proof figures of one side (ours or the peer's), in the report's shape."""
    gen_inc, ver_inc, gen_con, ver_con = timings
    return {
        "size": size,
        "inclusion_generate": quantiles(gen_inc),
        "inclusion_verify": quantiles(ver_inc),
        "consistency_generate": quantiles(gen_con),
        "consistency_verify": quantiles(ver_con),
        "hashes_mean": sum(hashes) / len(hashes),
        "hashes_min": min(hashes),
        "hashes_max": max(hashes),
        "json_mean": sum(json_bytes) / len(json_bytes),
        "consistency_hashes_mean": sum(consistency_hashes) / len(consistency_hashes),
    }


def sha256_limit(entries: int, batch: int) -> float:
    """Seconds for what an append must hash at least: leaf hash + one node hash per leaf."""
    sha256 = hashlib.sha256
    seconds = 0.0
    for start, count in batches(entries, batch):
        leaves = make_leaves(SEED_BULK, start, count)
        started = time.perf_counter()
        for leaf in leaves:
            digest = sha256(b"\x00" + leaf).digest()
            sha256(b"\x01" + digest + digest).digest()
        seconds += time.perf_counter() - started
    return seconds


def sqlite_limit(data_dir: Path, entries: int, batch: int) -> float:
    """Seconds for what a durable SQLite log must store at least: the same rows, bare
    ``sqlite3`` ``executemany`` into an integer-keyed table, WAL, synchronous=FULL, one
    transaction per batch (no hashing, no SQLAlchemy)."""
    path = data_dir / "bare-sqlite.db"
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE entries (pos INTEGER PRIMARY KEY, leaf BLOB NOT NULL)")
    seconds = 0.0
    try:
        for start, count in batches(entries, batch):
            rows = list(
                zip(range(start, start + count), make_leaves(SEED_BULK, start, count), strict=True)
            )
            started = time.perf_counter()
            connection.execute("BEGIN")
            connection.executemany("INSERT INTO entries VALUES (?, ?)", rows)
            connection.execute("COMMIT")
            seconds += time.perf_counter() - started
    finally:
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return seconds


# -- child: our log ---------------------------------------------------------------------------


def ledger_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'ledger.db'}"


def ours(args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy.engine import Connection

    from wenyuan.core.db import create_engine, migrate
    from wenyuan.ledger import MIGRATIONS, Log, verify_consistency, verify_inclusion
    from wenyuan.ledger._log import Pending

    engine = create_engine(ledger_url(args.data_dir))
    migrate(engine, [MIGRATIONS])
    commits = [0, 0]  # transactions, entries: counted by the batch hook

    def count(_conn: Connection, _start: int, batch: Sequence[Pending]) -> None:
        commits[0] += 1
        commits[1] += sum(len(item.leaves) for item in batch)

    log = Log(engine, ORIGIN, hook=count)
    result: dict[str, Any] = {}
    n = args.entries

    say(f"ours: bulk append of {n:,} entries in batches of {args.batch:,} …")
    watch = Watch()
    seconds = 0.0
    for start, size in batches(n, args.batch):
        leaves = make_leaves(SEED_BULK, start, size)
        started = time.perf_counter()
        got = log.append_many(leaves)
        seconds += time.perf_counter() - started
        if got.start != start:
            raise SystemExit(f"batch at {start} got indexes from {got.start}")
    result["load_bulk"] = watch.stop()
    result["bulk"] = {"entries": n, "seconds": seconds, "commits": commits[0]}
    say(f"ours: bulk {n / seconds:,.0f} entries/s")

    say(f"ours: {args.single_entries:,} single-entry appends, one client …")
    leaves = make_leaves(SEED_SINGLE, 0, args.single_entries)
    before = list(commits)
    watch = Watch()
    samples = timed_calls(lambda i: log.append(leaves[i]), range(len(leaves)), warmup=0)
    result["single"] = {
        "load": watch.stop(),
        "entries": len(samples),
        "seconds": sum(samples),
        "latency": quantiles(samples),
        "commits": commits[0] - before[0],
    }

    per_client = args.concurrent_entries // args.clients
    say(f"ours: {args.clients} clients × {per_client:,} single-entry appends …")
    own = [make_leaves(SEED_CONCURRENT, j * per_client, per_client) for j in range(args.clients)]
    latencies: list[list[float]] = [[] for _ in range(args.clients)]
    barrier = threading.Barrier(args.clients + 1)

    def client(j: int) -> None:
        clock = time.perf_counter
        mine = latencies[j]
        barrier.wait()
        for leaf in own[j]:
            started = clock()
            log.append(leaf)
            mine.append(clock() - started)

    threads = [threading.Thread(target=client, args=(j,)) for j in range(args.clients)]
    for thread in threads:
        thread.start()
    watch = Watch()
    before = list(commits)
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    result["load_concurrent"] = watch.stop()
    flat = [s for mine in latencies for s in mine]
    result["concurrent"] = {
        "clients": args.clients,
        "entries": len(flat),
        "seconds": seconds,
        "latency": quantiles(flat),
        "commits": commits[0] - before[0],
    }
    say(f"ours: concurrent {len(flat) / seconds:,.0f} entries/s")

    say(f"ours: proofs over {args.proofs:,} random indexes at size {n:,} …")
    rng = random.Random(args.seed)
    indexes = [rng.randrange(n) for _ in range(args.proofs)]
    olds = [rng.randrange(1, n) for _ in range(args.proofs)]
    root = log.root(n)
    watch = Watch()
    inclusion = {i: log.inclusion_proof(i, n) for i in indexes}
    leaf_hashes = {i: log.tree.leaf_hash_at(i) for i in indexes}
    old_roots = {m: log.root(m) for m in olds}
    consistency = {m: log.consistency_proof(m, n) for m in olds}
    gen_inc = timed_calls(lambda i: log.inclusion_proof(i, n), indexes)
    ver_inc = timed_calls(
        lambda i: verify_inclusion(leaf_hashes[i], i, n, inclusion[i], root), indexes
    )
    gen_con = timed_calls(lambda m: log.consistency_proof(m, n), olds)
    ver_con = timed_calls(
        lambda m: verify_consistency(m, n, consistency[m], old_roots[m], root), olds
    )
    result["load_proofs"] = watch.stop()
    hashes = [len(p) for p in inclusion.values()]
    json_bytes = [len(proof_json(i, n, p).encode()) for i, p in inclusion.items()]
    consistency_hashes = [len(p) for p in consistency.values()]
    result["proofs"] = proof_figures(
        n, (gen_inc, ver_inc, gen_con, ver_con), hashes, json_bytes, consistency_hashes
    )
    result["root_hex"] = root.hex()
    result["peer_root_hex"] = log.root(args.peer_n).hex()
    result["size"] = log.size
    log.close()
    db = args.data_dir / "ledger.db"
    result["db_bytes"] = files_bytes(db, Path(f"{db}-wal"))
    result["peak_rss_mib"] = peak_rss_mib()
    engine.dispose()
    return result


# -- child: the peer --------------------------------------------------------------------------


def peer(args: argparse.Namespace) -> dict[str, Any]:
    import pymerkle  # type: ignore[import-untyped]
    from pymerkle import SqliteTree, verify_consistency, verify_inclusion

    path = args.data_dir / "pymerkle.db"
    tree = SqliteTree(str(path))
    result: dict[str, Any] = {"version": pymerkle.__version__}
    result["pragmas_default"] = {
        "journal_mode": tree.con.execute("PRAGMA journal_mode").fetchone(),
        "synchronous": tree.con.execute("PRAGMA synchronous").fetchone(),
        "isolation_level": tree.con.isolation_level,
    }
    n = args.peer_n

    say(f"peer: bulk append_entries of {n:,} entries in batches of {args.batch:,} …")
    watch = Watch()
    seconds = 0.0
    for start, size in batches(n, args.batch):
        leaves = make_leaves(SEED_BULK, start, size)
        started = time.perf_counter()
        tree.append_entries(leaves)
        seconds += time.perf_counter() - started
    result["load_bulk"] = watch.stop()
    result["bulk"] = {"entries": n, "seconds": seconds}
    say(f"peer: bulk {n / seconds:,.0f} entries/s")
    if tree.get_size() != n:
        raise SystemExit(f"pymerkle holds {tree.get_size()} entries, expected {n}")

    def single(label: str, stream_start: int) -> dict[str, Any]:
        count = args.peer_single_entries
        say(f"peer: {count:,} append_entry calls (one commit each), {label} …")
        leaves = make_leaves(SEED_PEER_SINGLE, stream_start, count)
        watch = Watch()
        samples = timed_calls(lambda i: tree.append_entry(leaves[i]), range(count), warmup=0)
        phase = watch.stop()
        return {
            "entries": count,
            "seconds": sum(samples),
            "latency": quantiles(samples),
            "load": phase,
        }

    result["single_default"] = single("default pragmas", 0)
    tree.con.execute("PRAGMA journal_mode=WAL")
    tree.con.execute("PRAGMA synchronous=FULL")
    result["pragmas_wal"] = {
        "journal_mode": tree.con.execute("PRAGMA journal_mode").fetchone(),
        "synchronous": tree.con.execute("PRAGMA synchronous").fetchone(),
    }
    result["single_wal"] = single("WAL + synchronous=FULL", args.peer_single_entries)

    say(f"peer: proofs over {args.proofs:,} random indexes at size {n:,} …")
    rng = random.Random(args.seed)
    indexes = [rng.randrange(n) + 1 for _ in range(args.proofs)]  # pymerkle counts from 1
    olds = [rng.randrange(1, n) for _ in range(args.proofs)]
    started = time.perf_counter()
    root = tree.get_root(n)
    result["first_root_seconds"] = time.perf_counter() - started
    watch = Watch()
    inclusion = {i: tree.prove_inclusion(i, n) for i in indexes}
    bases = {i: tree.get_leaf(i) for i in indexes}
    old_roots = {m: tree.get_root(m) for m in olds}
    consistency = {m: tree.prove_consistency(m, n) for m in olds}
    gen_inc = timed_calls(lambda i: tree.prove_inclusion(i, n), indexes)
    ver_inc = timed_calls(lambda i: verify_inclusion(bases[i], root, inclusion[i]), indexes)
    gen_con = timed_calls(lambda m: tree.prove_consistency(m, n), olds)
    ver_con = timed_calls(lambda m: verify_consistency(old_roots[m], root, consistency[m]), olds)
    result["load_proofs"] = watch.stop()
    hashes = [len(p.path) for p in inclusion.values()]
    json_bytes = [
        len(json.dumps(p.serialize(), separators=(",", ":")).encode()) for p in inclusion.values()
    ]
    consistency_hashes = [len(p.path) for p in consistency.values()]
    result["proofs"] = proof_figures(
        n, (gen_inc, ver_inc, gen_con, ver_con), hashes, json_bytes, consistency_hashes
    )
    result["root_hex"] = root.hex()
    tree.close()

    say("peer: reopen and first root …")
    started = time.perf_counter()
    tree = SqliteTree(str(path))
    result["reopen_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    tree.get_root(n)
    result["reopen_root_seconds"] = time.perf_counter() - started
    tree.close()
    result["db_bytes"] = files_bytes(path, Path(f"{path}-wal"), Path(f"{path}-journal"))
    result["peak_rss_mib"] = peak_rss_mib()
    return result


# -- children: the writer that gets killed, and the reopen ------------------------------------


def writer(args: argparse.Namespace) -> dict[str, Any]:
    """Reopen the log, checkpoint it, then append until killed; print every acknowledgement."""
    from wenyuan.core.db import create_engine
    from wenyuan.ledger import Log
    from wenyuan.ledger import _tables as tables  # a checkpoint row, written as the log would

    engine = create_engine(ledger_url(args.data_dir))
    started = time.perf_counter()
    log = Log(engine, ORIGIN)
    opened = time.perf_counter() - started
    start = log.size
    print(f"open {start} {opened:.6f}", flush=True)
    in_flight: deque[tuple[int, Future[range]]] = deque()
    submitted = 0
    checkpointed = False
    began = time.perf_counter()
    while True:
        leaves = make_leaves(SEED_RECOVERY, submitted, args.kill_batch)
        in_flight.append((submitted, log.submit(leaves)))
        submitted += len(leaves)
        while len(in_flight) >= args.kill_in_flight:
            number, future = in_flight.popleft()
            got = future.result()
            if got.start != start + number:
                print(f"misplaced {number} {got.start}", flush=True)
            print(f"ack {got.start} {got.stop}", flush=True)
        if not checkpointed and time.perf_counter() - began > args.kill_after / 3:
            size = log.size
            with engine.begin() as conn:
                conn.execute(
                    tables.checkpoints.insert().values(
                        log_id=log.log_id,
                        size=size,
                        root=log.root(size),
                        note=f"benchmark checkpoint at {size}\n",
                        created_at=datetime.now(UTC),
                    )
                )
            checkpointed = True
            print(f"checkpoint {size}", flush=True)


def reopen(args: argparse.Namespace) -> dict[str, Any]:
    """Time ``Log(engine, origin)`` after the kill, then check every acknowledged entry."""
    from wenyuan.core.db import create_engine
    from wenyuan.ledger import Log

    engine = create_engine(ledger_url(args.data_dir))
    watch = Watch()
    started = time.perf_counter()
    log = Log(engine, ORIGIN)
    seconds = time.perf_counter() - started
    phase = watch.stop()
    checkpoint = log.check_against_checkpoint()
    start, acked_stop = args.recovery_start, args.acked_stop
    present = 0
    wrong = 0
    for chunk_start, count in batches(log.size - start, 20_000):
        stored = log.leaves(start + chunk_start, start + chunk_start + count)
        for offset, leaf in enumerate(stored):
            number = chunk_start + offset
            if leaf != make_leaf(SEED_RECOVERY, number):
                wrong += 1
            elif start + number < acked_stop:
                present += 1
    result = {
        "seconds": seconds,
        "size": log.size,
        "checkpoint": checkpoint,
        "acked": acked_stop - start,
        "acked_present": present,
        "wrong": wrong,
        "unacked_committed": max(0, log.size - acked_stop),
        "load": phase,
        "peak_rss_mib": peak_rss_mib(),
    }
    log.close()
    return result


CHILDREN: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "ours": ours,
    "peer": peer,
    "writer": writer,
    "reopen": reopen,
}


# -- the parent -------------------------------------------------------------------------------


def child_command(part: str, extra: Sequence[str] = ()) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), *sys.argv[1:], "--child", part, *extra]


def run_child(part: str, extra: Sequence[str] = ()) -> dict[str, Any]:
    done = subprocess.run(
        child_command(part, extra), stdout=subprocess.PIPE, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"the {part!r} child failed with exit status {done.returncode}")
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return result
    raise SystemExit(f"the {part!r} child printed no result")


def kill_writer(args: argparse.Namespace) -> dict[str, Any]:
    """Run the writer, SIGKILL it mid-stream; what it acknowledged and when."""
    process = subprocess.Popen(child_command("writer"), stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    lines: list[str] = []
    first_ack = threading.Event()
    checkpoint = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.strip())
            if line.startswith("ack"):
                first_ack.set()
            elif line.startswith("checkpoint"):
                checkpoint.set()
        first_ack.set()  # the writer ended (or died): stop waiting for it
        checkpoint.set()

    reader = threading.Thread(target=read)
    reader.start()
    if not first_ack.wait(600) or process.poll() is not None:
        process.kill()
        raise SystemExit(f"the writer acknowledged nothing (exit code {process.poll()})")
    acking_since = time.perf_counter()
    checkpoint.wait(600)
    time.sleep(max(0.0, args.kill_after - (time.perf_counter() - acking_since)))
    os.kill(process.pid, signal.SIGKILL)
    killed_after = time.perf_counter() - acking_since
    process.wait()
    reader.join()
    opened = next(line for line in lines if line.startswith("open"))
    _, start, open_seconds = opened.split()
    acks = [line.split() for line in lines if line.startswith("ack")]
    misplaced = [line for line in lines if line.startswith("misplaced")]
    if misplaced:
        raise SystemExit(f"the writer got unexpected indexes: {misplaced[:3]}")
    checkpoint_size = next(int(line.split()[1]) for line in lines if line.startswith("checkpoint"))
    return {
        "start": int(start),
        "clean_open_seconds": float(open_seconds),
        "acked_stop": max(int(a[2]) for a in acks),
        "acks": len(acks),
        "killed_after": killed_after,
        "checkpoint": checkpoint_size,
        "returncode": process.returncode,
    }


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f} µs" if seconds < 1e-3 else f"{seconds * 1e3:,.2f} ms"


def rate(part: dict[str, Any]) -> float:
    return float(part["entries"]) / float(part["seconds"])


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def loads(phase: dict[str, Any]) -> str:
    before, after = phase["load"]
    return f"{before:.2f} → {after:.2f} ({phase['others']:.2f})"


def report(
    args: argparse.Namespace,
    o: dict[str, Any],
    p: dict[str, Any],
    limit: float,
    limit_loads: dict[str, Any],
    k: dict[str, Any],
    r: dict[str, Any],
    storage: float,
) -> str:
    n, pn = args.entries, args.peer_n
    same_size = n == pn
    bulk_ours, bulk_peer = rate(o["bulk"]), rate(p["bulk"])
    conc, single_one = rate(o["concurrent"]), rate(o["single"])
    peer_default, peer_wal = rate(p["single_default"]), rate(p["single_wal"])
    limit_rate = n / limit
    op, pp = o["proofs"], p["proofs"]
    pd = p["pragmas_default"]
    sync_names = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
    peer_sync = f"synchronous={pd['synchronous']} ({sync_names.get(pd['synchronous'], '?')})"
    gen_p50 = op["inclusion_generate"]["p50"]
    gen_p95 = op["inclusion_generate"]["p95"]
    roots = (
        "the same root at size " + f"{pn:,}"
        if o["peer_root_hex"] == p["root_hex"]
        else f"DIFFERENT roots at size {pn:,} (ours {o['peer_root_hex'][:16]}…, "
        f"pymerkle {p['root_hex'][:16]}…)"
    )
    peer_scope = (
        f"on the same {n:,} leaves"
        if same_size
        else f"on only the first **{pn:,}** of the leaves (`--peer-entries`): compare rates, "
        "not totals"
    )
    lines = [
        f"Machine: {machine_line()}",
        "",
        f"Leaves: {n:,} × {LEAF_BYTES} pseudo-random bytes (SHAKE-256 of a counter), appended "
        f"in batches of {args.batch:,}; proofs over {args.proofs:,} random leaf indexes and old "
        f"sizes (seed {args.seed}) at tree size {n:,}. Ours: `wenyuan.ledger.Log` on SQLite "
        f"(WAL, synchronous=FULL on the writer connection, group commit). Peer: pymerkle "
        f"{p['version']} `SqliteTree` {peer_scope}; as it opens SQLite, its connection reports "
        f"journal_mode={pd['journal_mode']}, {peer_sync}, one transaction per `append_entries` "
        f"or `append_entry` call. Both trees give {roots}.",
        "",
        "| measure | wenyuan `Log` | pymerkle `SqliteTree` | ratio | target |",
        "|---|---|---|---|---|",
        f"| bulk append, durable (entries/s) | {bulk_ours:,.0f} | {bulk_peer:,.0f} | "
        f"{bulk_ours / bulk_peer:.2f}× | ≥ 2×: {verdict(bulk_ours >= 2 * bulk_peer)} |",
        f"| single-entry appends: ours {o['concurrent']['clients']} client threads (group "
        f"commit), peer one entry then commit, its default journal (entries/s) | {conc:,.0f} | "
        f"{peer_default:,.0f} | {conc / peer_default:.1f}× | ≥ 10×: "
        f"{verdict(conc >= 10 * peer_default)} |",
        f"| the same, peer switched to WAL + synchronous=FULL (entries/s) | {conc:,.0f} | "
        f"{peer_wal:,.0f} | {conc / peer_wal:.1f}× | (not the issue's target) |",
        f"| single-entry append latency p50 / p95 ({o['concurrent']['clients']} clients; peer "
        f"default journal) | {us(o['concurrent']['latency']['p50'])} / "
        f"{us(o['concurrent']['latency']['p95'])} | {us(p['single_default']['latency']['p50'])} "
        f"/ {us(p['single_default']['latency']['p95'])} | | |",
        f"| one client alone, one entry at a time (entries/s) | {single_one:,.0f} | "
        f"{peer_default:,.0f} (WAL: {peer_wal:,.0f}) | {single_one / peer_default:.1f}× | |",
        f"| inclusion proof generation p50 / p95 | {us(gen_p50)} / {us(gen_p95)} | "
        f"{us(pp['inclusion_generate']['p50'])} / {us(pp['inclusion_generate']['p95'])} | "
        f"{pp['inclusion_generate']['p50'] / gen_p50:.0f}× faster (p50) | ≤ 50 µs: "
        f"{verdict(gen_p95 <= 50e-6)} (p95) |",
        f"| inclusion proof verification p50 / p95 | {us(op['inclusion_verify']['p50'])} / "
        f"{us(op['inclusion_verify']['p95'])} | {us(pp['inclusion_verify']['p50'])} / "
        f"{us(pp['inclusion_verify']['p95'])} | | |",
        f"| consistency proof generation p50 / p95 | {us(op['consistency_generate']['p50'])} / "
        f"{us(op['consistency_generate']['p95'])} | {us(pp['consistency_generate']['p50'])} / "
        f"{us(pp['consistency_generate']['p95'])} | "
        f"{pp['consistency_generate']['p50'] / op['consistency_generate']['p50']:.0f}× faster "
        "(p50) | ≤ 50 µs: "
        f"{verdict(op['consistency_generate']['p95'] <= 50e-6)} (p95) |",
        f"| consistency proof verification p50 / p95 | {us(op['consistency_verify']['p50'])} / "
        f"{us(op['consistency_verify']['p95'])} | {us(pp['consistency_verify']['p50'])} / "
        f"{us(pp['consistency_verify']['p95'])} | | |",
        f"| hashes per inclusion proof, mean (min–max) | {op['hashes_mean']:.1f} "
        f"({op['hashes_min']}–{op['hashes_max']}) | {pp['hashes_mean']:.1f} "
        f"({pp['hashes_min']}–{pp['hashes_max']}), the leaf hash included | | |",
        f"| bytes per inclusion proof: hashes × 32 / JSON | {op['hashes_mean'] * 32:,.0f} / "
        f"{op['json_mean']:,.0f} (base64) | {pp['hashes_mean'] * 32:,.0f} / "
        f"{pp['json_mean']:,.0f} (its `serialize()`, hex) | | |",
        f"| hashes per consistency proof, mean | {op['consistency_hashes_mean']:.1f} | "
        f"{pp['consistency_hashes_mean']:.1f} | | |",
        f"| database on disk (bytes per entry) | {o['db_bytes'] / o['size']:,.0f} | "
        f"{p['db_bytes'] / (pn + 2 * args.peer_single_entries):,.0f} | | |",
        f"| peak RSS of the process | {o['peak_rss_mib']:,.0f} MiB | "
        f"{p['peak_rss_mib']:,.0f} MiB | | |",
        "",
        f"- SHA-256 limit in the same run (hashlib, leaf hash + one node hash per leaf, same "
        f"leaves): {limit_rate:,.0f} entries/s; our durable bulk append runs at "
        f"**{bulk_ours / limit_rate:.2f}×** that limit, pymerkle's at "
        f"{bulk_peer / limit_rate:.2f}×.",
        f"- Bare SQLite in the same run (`sqlite3` `executemany` of the same rows into an "
        f"integer-keyed table, WAL, synchronous=FULL, same batches, no hashing): "
        f"{n / storage:,.0f} entries/s, the storage alone; our bulk append runs at "
        f"{bulk_ours / (n / storage):.2f}× it. Storing and hashing run one after the other under "
        f"Python's global lock, so a Python writer on SQLite tops out near "
        f"{1 / (storage / n + 1 / limit_rate):,.0f} entries/s (both limits added), against "
        f"{2 * bulk_peer:,.0f} for 2× the peer.",
        f"- Group commit: {o['concurrent']['entries']:,} appends from "
        f"{o['concurrent']['clients']} threads took {o['concurrent']['commits']:,} "
        f"transactions ({o['concurrent']['entries'] / o['concurrent']['commits']:.1f} entries "
        f"each); one client alone pays one transaction per entry "
        f"({o['single']['entries']:,} appends, {o['single']['commits']:,} transactions, "
        f"p50 {us(o['single']['latency']['p50'])}). The bulk load took "
        f"{o['bulk']['commits']:,} transactions.",
        f"- pymerkle's first root after building (its subroot cache cold): "
        f"{p['first_root_seconds']:.2f} s; reopening its database {us(p['reopen_seconds'])} "
        f"(it checks that the leaf ids are contiguous, nothing else), then the first root "
        f"{p['reopen_root_seconds']:.2f} s. It builds no tree while appending: counting its "
        f"bulk append and that first root together, it adds {pn:,} entries at "
        f"{pn / (p['bulk']['seconds'] + p['first_root_seconds']):,.0f} entries/s (ours, with "
        f"the tree built: {bulk_ours:,.0f}).",
        f"- **Recovery after kill -9**: a writer reopened the {k['start']:,}-entry log "
        f"({k['clean_open_seconds']:.2f} s after a clean close), inserted a checkpoint row at "
        f"size {k['checkpoint']:,}, appended pipelined batches of {args.kill_batch} with "
        f"{args.kill_in_flight} in flight and was killed (SIGKILL) {k['killed_after']:.1f} s "
        f"after its first acknowledgement. `Log(engine, origin)` then took "
        f"**{r['seconds']:.2f} s** to open {r['size']:,} entries "
        f"({r['seconds'] / r['size'] * 1e6:.1f} s per million; read every entry, rebuild "
        f"the tree, check the checkpoint of size {r['checkpoint']:,}), peak RSS "
        f"{r['peak_rss_mib']:,.0f} MiB. Acknowledged: {r['acked']:,} entries, present "
        f"{r['acked_present']:,} ({'all' if r['acked_present'] == r['acked'] else 'NOT ALL'}), "
        f"{r['wrong']} with other bytes; {r['unacked_committed']:,} more were committed but "
        "their acknowledgement had not been printed yet. The database was in the page cache.",
    ]
    phases = {
        "our bulk": o["load_bulk"],
        "our one client": o["single"]["load"],
        f"our {o['concurrent']['clients']} clients": o["load_concurrent"],
        "our proofs": o["load_proofs"],
        "SHA-256 limit": limit_loads,
        "peer bulk": p["load_bulk"],
        "peer single appends": p["single_default"]["load"],
        "peer single appends in WAL": p["single_wal"]["load"],
        "peer proofs": p["load_proofs"],
        "reopen after the kill": r["load"],
    }
    lines.append(
        "- What else ran, per timed phase: the 1-minute load average before → after (it trails "
        "by a minute and counts this benchmark) and, in brackets, how many of the "
        f"{os.cpu_count()} CPUs other processes kept busy on average during the phase: "
        + "; ".join(f"{name} {loads(phase)}" for name, phase in phases.items())
        + "."
    )
    busy = [name for name, phase in phases.items() if phase["others"] > 0.25]
    lines.append(
        f"- **Other work took more than a quarter of a CPU during: {', '.join(busy)}; those "
        "figures are not clean, run again on a quiet machine.**"
        if busy
        else "- No other process took more than a quarter of a CPU during any timed phase."
    )
    return "\n".join(lines)


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument(
        "--peer-entries",
        type=int,
        default=None,
        help="entries for pymerkle if it is too slow for --entries (rates are compared)",
    )
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/wenyuan-ledger-bench"))
    parser.add_argument("--batch", type=int, default=16_384, help="entries per bulk call")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--concurrent-entries", type=int, default=32_000)
    parser.add_argument("--single-entries", type=int, default=1_000)
    parser.add_argument("--peer-single-entries", type=int, default=2_000)
    parser.add_argument("--proofs", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--kill-after", type=float, default=3.0, help="seconds of appending")
    parser.add_argument("--kill-batch", type=int, default=16, help="leaves per submit")
    parser.add_argument("--kill-in-flight", type=int, default=32, help="submits in flight")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--recovery-start", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--acked-stop", type=int, default=0, help=argparse.SUPPRESS)
    return parser


def main() -> None:
    args = options().parse_args()
    args.peer_n = args.entries if args.peer_entries is None else args.peer_entries
    if not 1 < args.peer_n <= args.entries:
        raise SystemExit("--peer-entries must be in 2..--entries")
    if args.child:
        print(RESULT_PREFIX + json.dumps(CHILDREN[args.child](args)), flush=True)
        return
    shutil.rmtree(args.data_dir, ignore_errors=True)
    args.data_dir.mkdir(parents=True)
    started = time.perf_counter()
    o = run_child("ours")
    watch = Watch()
    say(f"SHA-256 limit over the same {args.entries:,} leaves …")
    limit = sha256_limit(args.entries, args.batch)
    limit_loads = watch.stop()
    say(f"bare SQLite limit over the same {args.entries:,} rows …")
    storage = sqlite_limit(args.data_dir, args.entries, args.batch)
    p = run_child("peer")
    say("recovery: writer, kill -9, reopen …")
    k = kill_writer(args)
    r = run_child(
        "reopen", ["--recovery-start", str(k["start"]), "--acked-stop", str(k["acked_stop"])]
    )
    say(f"done in {time.perf_counter() - started:.0f} s")
    text = report(args, o, p, limit, limit_loads, k, r, storage)
    print(text)
    say(f"written to {write_result('ledger', text + chr(10))}")


if __name__ == "__main__":
    main()
