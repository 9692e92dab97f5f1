"""Benchmark the cost of the Ed25519 policy (``wenyuan.core.keys``) per statement.

What it measures, in one run, for this checkout and for an earlier one (``--before``, a
folder holding the ``src`` of a commit without the policy, e.g. a ``git worktree``):

1. **Per signature**: OpenSSL's verify alone (what the ledger did before), and
   ``verify_signature`` (the policy's checks, then OpenSSL), with a fresh key each time
   (the key check is not remembered) and with repeated keys (it is).
2. **Per statement**: ``decode_leaf`` of a signed ``register`` leaf.
3. **Appends of signed statements**: ``--clients`` threads (default 16) each appending
   ``--per-client`` register statements through ``Ledger.append`` on a fresh SQLite file,
   every statement checked (signature, policy, state) before it is written.

Each side runs in its own child process (``PYTHONPATH`` set to its ``src``); the statements
are made before timing starts. The machine is shared: the 1-minute load average is printed.

Run: ``.venv/bin/python benchmarks/bench_ed25519.py --before /tmp/wt-before/src``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1] / "src"


def child(clients: int, per_client: int, signatures: int) -> dict[str, Any]:
    import hashlib

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from wenyuan.core.db import create_engine, migrate
    from wenyuan.ledger import MIGRATIONS, Ledger, NoteSigner, decode_leaf, encode_leaf
    from wenyuan.ledger import make_register as register

    try:
        from wenyuan.core.keys import verify_signature
    except ImportError:  # the earlier checkout has no policy
        verify_signature = None

    out: dict[str, Any] = {"policy": verify_signature is not None}
    keys = [Ed25519PrivateKey.generate() for _ in range(signatures)]
    publics = [k.public_key() for k in keys]
    raws = [p.public_bytes_raw() for p in publics]
    sigs = [k.sign(b"message") for k in keys]

    started = time.perf_counter()
    for public, sig in zip(publics, sigs, strict=True):
        public.verify(sig, b"message")
    out["openssl_us"] = (time.perf_counter() - started) / signatures * 1e6
    if verify_signature is not None:
        started = time.perf_counter()
        for raw, sig in zip(raws, sigs, strict=True):
            assert verify_signature(raw, sig, b"message")
        out["policy_fresh_keys_us"] = (time.perf_counter() - started) / signatures * 1e6
        started = time.perf_counter()
        for raw, sig in zip(raws, sigs, strict=True):
            assert verify_signature(raw, sig, b"message")
        out["policy_known_keys_us"] = (time.perf_counter() - started) / signatures * 1e6

    def leaf(key: Ed25519PrivateKey, n: int) -> bytes:
        content = hashlib.sha256(f"{id(key)}-{n}".encode()).hexdigest()
        made = register(
            key, content_sha256=content, media_type="image/tiff", title=f"藏品 {n}", creators=[]
        )
        return encode_leaf(made)

    owners = [Ed25519PrivateKey.generate() for _ in range(clients)]
    batches = [[leaf(owner, n) for n in range(per_client)] for owner in owners]
    sample = batches[0][: min(per_client, 500)]
    started = time.perf_counter()
    for one in sample:
        decode_leaf(one)
    out["decode_leaf_us"] = (time.perf_counter() - started) / len(sample) * 1e6

    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{folder}/ledger.db")
        migrate(engine, [MIGRATIONS])
        signer = NoteSigner("bench.example/ledger", Ed25519PrivateKey.generate())
        ledger = Ledger(engine, signer, background=False)

        def run(batch: list[bytes]) -> None:
            for one in batch:
                ledger.append(one)

        threads = [threading.Thread(target=run, args=(b,)) for b in batches]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        ledger.close()
        engine.dispose()
    out["appends_per_s"] = clients * per_client / seconds
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--before", type=Path, help="src folder of a checkout without the policy")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--per-client", type=int, default=250)
    parser.add_argument("--signatures", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = child(args.clients, args.per_client, args.signatures)
        sys.stdout.write(json.dumps(result) + "\n")
        return
    sides = {"after": HERE} | ({"before": args.before.resolve()} if args.before else {})
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in sides}
    for _ in range(args.rounds):
        for name, src in sides.items():
            env = {**os.environ, "PYTHONPATH": str(src)}
            command = [sys.executable, __file__, "--child", "--clients", str(args.clients)]
            command += ["--per-client", str(args.per_client), "--signatures", str(args.signatures)]
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            results[name].append(json.loads(done.stdout))
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")
    for name, runs in results.items():
        best = {
            k: max(r[k] for r in runs) if k == "appends_per_s" else min(r[k] for r in runs)
            for k in runs[0]
            if k != "policy"
        }
        print(name, json.dumps({k: round(v, 1) for k, v in best.items()}))
    if "before" in results:
        after = max(r["appends_per_s"] for r in results["after"])
        before = max(r["appends_per_s"] for r in results["before"])
        print(f"appends/s after ÷ before: {after / before:.2f}")


if __name__ == "__main__":
    main()
