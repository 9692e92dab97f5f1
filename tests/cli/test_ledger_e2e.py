"""End to end over real HTTP: a Wenyuan server and an independent witness, two processes.

A party registers a file with `wenyuan ledger register --server`; the server's checkpoint is
cosigned by the witness over loopback (C2SP tlog-witness); the receipt verifies offline with
the log's key, the witness's key and a quorum of one.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

WENYUAN = [sys.executable, "-c", "from wenyuan.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*WENYUAN, *args], env=env, capture_output=True, text=True, check=False)


def _wait_healthy(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url} exited: {process.stderr.read() if process.stderr else ''}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not become healthy")


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def test_a_receipt_cosigned_by_a_witness_in_another_process(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    env = {
        **os.environ,
        "WENYUAN_DATA_DIR": str(tmp_path / "server"),
        "WENYUAN_LEDGER_ORIGIN": "e2e.test.wenyuan.example/ledger",
        "WENYUAN_LEDGER_CHECKPOINT_INTERVAL": "0.1",
    }
    env.pop("WENYUAN_DATABASE_URL", None)
    log_vkey = _run(["ledger", "public-key"], env).stdout.strip()
    assert log_vkey.startswith("e2e.test.wenyuan.example/ledger+")
    (tmp_path / "log.pub").write_text(log_vkey + "\n")

    made = _run(["keys", "new", str(tmp_path / "w.key"), "--name", "witness.test.example/w1"], env)
    assert made.returncode == 0, made.stderr
    witness_port, server_port = _free_port(), _free_port()
    witness = subprocess.Popen(
        [
            *WENYUAN,
            "ledger",
            "witness",
            "--key",
            str(tmp_path / "w.key"),
            "--state",
            str(tmp_path / "witness-state"),
            "--log",
            str(tmp_path / "log.pub"),
            "--port",
            str(witness_port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    processes.append(witness)
    assert witness.stdout is not None
    witness_vkey = witness.stdout.readline().strip()
    assert witness_vkey.startswith("witness.test.example/w1+")
    _wait_healthy(f"http://127.0.0.1:{witness_port}/healthz", witness)

    server_env = {
        **env,
        "WENYUAN_LEDGER_WITNESSES": json.dumps(
            [{"url": f"http://127.0.0.1:{witness_port}", "vkey": witness_vkey}]
        ),
        "WENYUAN_LEDGER_QUORUM": "1",
    }
    server = subprocess.Popen(
        [*WENYUAN, "serve", "--port", str(server_port)],
        env=server_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    processes.append(server)
    _wait_healthy(f"http://127.0.0.1:{server_port}/healthz", server)

    party = _run(["keys", "new", str(tmp_path / "museum.key"), "--name", "museum.example"], env)
    assert party.returncode == 0, party.stderr
    work = tmp_path / "rubbing.txt"
    work.write_text("碑帖拓本", encoding="utf-8")
    url = f"http://127.0.0.1:{server_port}"
    registered = _run(
        [
            "ledger",
            "register",
            str(work),
            "--key",
            str(tmp_path / "museum.key"),
            "--title",
            "石鼓文拓本",
            "--server",
            url,
            "--json",
        ],
        env,
    )
    assert registered.returncode == 0, registered.stderr + registered.stdout
    bundle = json.loads(registered.stdout)
    assert "— witness.test.example/w1 " in bundle["checkpoint"]
    receipt = tmp_path / "receipt.json"
    receipt.write_text(registered.stdout)

    verified = _run(
        [
            "verify",
            str(receipt),
            "--log-key",
            log_vkey,
            "--witness-key",
            witness_vkey,
            "--quorum",
            "1",
            "--json",
        ],
        env,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["witnesses"] == ["witness.test.example/w1"]

    # The server's published checkpoint carries the same cosignature, and the CLI refuses to
    # open the log the server holds, pointing at --server.
    served = httpx.get(f"{url}/ledger/checkpoint", timeout=5).text
    assert "— witness.test.example/w1 " in served
    status = _run(["ledger", "status", "--json"], server_env)  # reads beside the server
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["checkpoint"]["cosignatures"] == 1
    local = _run(
        ["ledger", "register", str(work), "--key", str(tmp_path / "museum.key"), "--title", "x"],
        env,
    )
    assert local.returncode == 1
    message = " ".join((local.stdout + local.stderr).split())
    assert "open for writing in another process" in message
    assert "--server URL" in message
