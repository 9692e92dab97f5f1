"""The witness service (`wenyuan ledger witness`) passes the same guard for its bodies, and
refuses an oversized one with the platform's one 413 problem."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.security.conftest import (
    BODY_TIMEOUT,
    MARGIN,
    WENYUAN,
    Server,
    answer_while_trickling,
    connect,
    free_port,
    read_answer,
    request_head,
)
from wenyuan.api.witness import MAX_BODY_BYTES as WITNESS_MAX_BODY_BYTES

TEXT = {"Content-Type": "text/plain; charset=utf-8"}
SERVER_MAX_BODY_BYTES = 4 * WITNESS_MAX_BODY_BYTES
"""The witness process's server-wide limit: above its own, so the witness app refuses first."""


@pytest.fixture(scope="module")
def witness_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A `wenyuan ledger witness` process following one log, with a 2 s body timeout and a
    server-wide body limit of 4 MiB (the witness reads at most 1 MiB of it)."""
    tmp = tmp_path_factory.mktemp("witness")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WENYUAN_")}
    env.update(
        {
            "WENYUAN_DATA_DIR": str(tmp / "server"),
            "WENYUAN_LOG_JSON": "true",
            "WENYUAN_BODY_TIMEOUT": str(BODY_TIMEOUT),
            "WENYUAN_MAX_BODY_BYTES": str(SERVER_MAX_BODY_BYTES),
        }
    )
    vkey = subprocess.run(
        [*WENYUAN, "ledger", "public-key"], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    (tmp / "log.pub").write_text(vkey + "\n")
    subprocess.run(
        [*WENYUAN, "keys", "new", str(tmp / "w.key"), "--name", "witness.test.example/w1"],
        env=env,
        capture_output=True,
        check=True,
    )
    port = free_port()
    log_file = tmp / "witness.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [
                *WENYUAN,
                *("ledger", "witness", "--key", str(tmp / "w.key")),
                *("--state", str(tmp / "state"), "--log", str(tmp / "log.pub")),
                *("--port", str(port)),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(port, log_file, process)
    deadline = time.monotonic() + 60
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                break
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the witness did not start:\n{server.log_text()}")
        time.sleep(0.1)
    yield server
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_a_huge_declared_checkpoint_is_refused_at_once(witness_server: Server) -> None:
    """add-checkpoint with Content-Length: 99999999999 is 413 problem+json from the header."""
    with connect(witness_server) as sock:
        started = time.monotonic()
        sock.sendall(
            request_head("POST", "/add-checkpoint", {**TEXT, "Content-Length": "99999999999"})
        )
        answer = read_answer(sock)
    assert answer.status == 413
    assert time.monotonic() - started < BODY_TIMEOUT / 2
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].endswith("/payload-too-large")


def _declaring(server: Server, path: str, headers: dict[str, str], length: int) -> dict[str, Any]:
    """The problem a server answers to a POST that declares ``length`` bytes (none sent)."""
    with connect(server) as sock:
        sock.sendall(request_head("POST", path, {**headers, "Content-Length": str(length)}))
        answer = read_answer(sock)
    assert answer.status == 413
    assert answer.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = answer.json()
    return problem


def test_the_witness_413_is_the_platforms_413(
    witness_server: Server, guarded_server: Server
) -> None:
    """A checkpoint past the witness's own 1 MiB gets the very problem type, title and status
    that the platform's API answers a body past its limit with."""
    witness = _declaring(witness_server, "/add-checkpoint", TEXT, WITNESS_MAX_BODY_BYTES + 1)
    platform = _declaring(
        guarded_server,
        "/api/ledger/statements",
        {"Content-Type": "application/json"},
        SERVER_MAX_BODY_BYTES,
    )
    assert witness["type"] == platform["type"] == "https://wenyuan.dev/problems/payload-too-large"
    assert (witness["title"], witness["status"]) == (platform["title"], platform["status"])
    assert witness["limit"] == WITNESS_MAX_BODY_BYTES
    assert "add-checkpoint body" in witness["detail"]


def test_a_trickling_checkpoint_is_cut_off(witness_server: Server) -> None:
    """A checkpoint arriving a byte at a time gets 408 once the body timeout has passed."""
    with connect(witness_server) as sock:
        started = time.monotonic()
        sock.sendall(request_head("POST", "/add-checkpoint", {**TEXT, "Content-Length": "500"}))
        answer = answer_while_trickling(sock)
    assert answer.status == 408
    assert time.monotonic() - started <= BODY_TIMEOUT + MARGIN
    assert answer.json()["type"].endswith("/body-timeout")


def test_a_plain_text_checkpoint_reaches_the_witness(witness_server: Server) -> None:
    """text/plain bodies are the witness's own: a malformed one is judged by it, not 415,
    and any Host is answered."""
    response = httpx.post(
        f"{witness_server.base_url}/add-checkpoint",
        content=b"old 0\n\nnot a checkpoint\n",
        headers={**TEXT, "Host": "witness.elsewhere.example"},
    )
    assert response.status_code in (400, 403, 404), response.text
