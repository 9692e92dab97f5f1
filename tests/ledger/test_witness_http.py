"""Witnesses over real HTTP: a log's checkpoints cosigned, forks refused, outages survived."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import httpx
import pytest
import typer
import uvicorn
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient
from typer.testing import CliRunner

from wenyuan.api.witness import MAX_BODY_BYTES, create_witness_app
from wenyuan.cli.witness import witness as witness_command
from wenyuan.core.config import Settings
from wenyuan.core.db import create_engine, migrate
from wenyuan.core.errors import InvalidInput, NotFound, PayloadTooLarge
from wenyuan.ledger import (
    MIGRATIONS,
    Checkpointer,
    Log,
    MerkleTree,
    generate_key,
    leaf_hash,
    verify_consistency,
)
from wenyuan.ledger._note import (
    Checkpoint,
    CosignatureVerifier,
    KeyFormatError,
    NoteSigner,
    Verifier,
    cosign,
    open_note,
    sign_note,
    split_note,
)
from wenyuan.ledger._witness import (
    TLOG_SIZE_MEDIA_TYPE,
    FileWitnessState,
    MemoryWitnessState,
    SizeMismatch,
    Witness,
    format_add_checkpoint_request,
    load_witness,
    load_witnessed_logs,
    parse_add_checkpoint_request,
)
from wenyuan.ledger._witness_http import (
    MAX_RESPONSE_BYTES,
    HTTPWitness,
    WitnessProtocolError,
    WitnessRefused,
    WitnessUnavailable,
)

ORIGIN = "wenyuan.test/ledger"
LOG_SIGNER = NoteSigner.generate(ORIGIN)
WITNESS_SIGNER = NoteSigner.generate("witness.test/w1")
WITNESS_VERIFIER = WITNESS_SIGNER.cosignature_verifier()
PROBLEM = "application/problem+json"
_START_TIMEOUT = 20.0


def _secret_of(signer: NoteSigner) -> str:
    """The base64 seed inside a signer key: what must never appear in an answer or a log."""
    secret = signer.signer_key().split("+", 4)[4]  # PRIVATE+KEY+name+id+base64 (may hold "+")
    assert len(secret) == 44
    return secret


# -- a witness served on loopback -----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_healthy(url: str, alive: Callable[[], bool]) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if not alive():
            pytest.fail(f"the witness at {url} stopped during start-up")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.05)
    pytest.fail(f"the witness at {url} did not answer /healthz within {_START_TIMEOUT}s")


class LiveWitness:
    """A ``Witness`` over a state folder, served by uvicorn in a thread on a fixed port."""

    def __init__(self, state_dir: Path, logs: Mapping[str, Verifier]) -> None:
        self.state_dir = state_dir
        self.logs = dict(logs)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.witness = Witness(WITNESS_SIGNER, FileWitnessState(self.state_dir), self.logs)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        config = uvicorn.Config(
            create_witness_app(self.witness),
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        thread = self._thread
        _wait_until_healthy(self.url, thread.is_alive)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=_START_TIMEOUT)
            assert not self._thread.is_alive(), "the witness server did not stop"
        self._server = self._thread = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def evidence(self) -> list[dict[str, object]]:
        return [
            json.loads(path.read_text("utf-8"))
            for path in sorted((self.state_dir / "evidence").glob("*.json"))
        ]


class Recording(httpx.BaseTransport):
    """Real HTTP, with each exchange kept: (parsed request, status, content type)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.exchanges: list[tuple[tuple[int, list[bytes], str], int, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        sent = parse_add_checkpoint_request(request.read())
        response = self.inner.handle_request(request)
        self.exchanges.append(
            (sent, response.status_code, response.headers.get("content-type", ""))
        )
        return response

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def live_witness(tmp_path: Path) -> Iterator[LiveWitness]:
    """A fresh witness following ORIGIN, served on loopback, with an empty state folder."""
    served = LiveWitness(tmp_path / "witness-state", {ORIGIN: LOG_SIGNER.verifier()})
    served.start()
    yield served
    served.stop()


@pytest.fixture
def recording() -> Recording:
    return Recording()


@pytest.fixture
def http_witness(live_witness: LiveWitness, recording: Recording) -> Iterator[HTTPWitness]:
    """The live witness as the log reaches it, checking cosignatures with its vkey."""
    with HTTPWitness(
        "witness.test/w1", live_witness.url, transport=recording, verifier=WITNESS_VERIFIER
    ) as client:
        yield client


def _open_log(tmp_path: Path, name: str) -> tuple[Engine, Log]:
    engine = create_engine(f"sqlite:///{tmp_path / name}")
    migrate(engine, [MIGRATIONS])
    return engine, Log(engine, ORIGIN, vkey=LOG_SIGNER.vkey())


@pytest.fixture
def fresh_log(tmp_path: Path) -> Iterator[Log]:
    """An empty log on a new SQLite database, signed by LOG_SIGNER."""
    engine, log = _open_log(tmp_path, "log.db")
    yield log
    log.close()
    engine.dispose()


@pytest.fixture
def forked_log(tmp_path: Path) -> Iterator[Log]:
    """A second, empty log on its own database with the same origin and key as ``fresh_log``."""
    engine, log = _open_log(tmp_path, "fork.db")
    yield log
    log.close()
    engine.dispose()


def _opened_by_both(note: str) -> tuple[Checkpoint, int]:
    """Open a stored note with the log's key and the witness's; (checkpoint, cosign time)."""
    opened = open_note(note, [LOG_SIGNER.verifier(), WITNESS_VERIFIER])
    assert opened.signed_by(LOG_SIGNER.verifier()) is not None
    assert opened.signed_by(WITNESS_VERIFIER) is not None
    text = split_note(note)[0]
    cosignature = [line for line in note.splitlines() if f" {WITNESS_SIGNER.name} " in line]
    return Checkpoint.parse(text), WITNESS_VERIFIER.verify_line(text, cosignature[0])


# -- the log and the witness, end to end ----------------------------------------------------


def test_a_published_checkpoint_opens_with_the_log_key_and_the_witness_cosignature(
    fresh_log: Log, http_witness: HTTPWitness
) -> None:
    """The first checkpoint goes out with old size 0 and comes back cosigned and trusted."""
    fresh_log.append_many([b"one", b"two", b"three"])
    checkpointer = Checkpointer(fresh_log, LOG_SIGNER, witnesses=[http_witness], quorum=1)
    published = checkpointer.publish()
    assert published is not None
    assert checkpointer.latest(trusted=True) == published
    assert published.cosignatures == 1
    checkpoint, timestamp = _opened_by_both(published.note)
    assert (checkpoint.origin, checkpoint.size, checkpoint.root_hash) == (
        ORIGIN,
        3,
        fresh_log.root(3),
    )
    assert abs(timestamp - time.time()) < 60


def test_the_next_checkpoint_is_cosigned_with_a_consistency_proof(
    fresh_log: Log, http_witness: HTTPWitness, recording: Recording, live_witness: LiveWitness
) -> None:
    """After more appends the log sends old size 3 and a proof that verifies from 3 to 7."""
    checkpointer = Checkpointer(fresh_log, LOG_SIGNER, witnesses=[http_witness], quorum=1)
    fresh_log.append_many([b"a", b"b", b"c"])
    checkpointer.publish()
    fresh_log.append_many([b"d", b"e", b"f", b"g"])
    second = checkpointer.publish()
    assert second is not None
    assert second.cosignatures == 1
    assert _opened_by_both(second.note)[0].size == 7
    (first_sent, first_status, _), (sent, status, _) = recording.exchanges
    assert (first_sent[0], first_sent[1], first_status) == (0, [], 200)
    old_size, proof, note = sent
    assert (old_size, status) == (3, 200)
    assert proof, "a proof from 3 to 7 is not empty"
    verify_consistency(3, 7, proof, fresh_log.root(3), fresh_log.root(7))
    assert [signature.name for signature in split_note(note)[1]] == [ORIGIN]  # the log's only
    stored = live_witness.witness.state.latest(ORIGIN)
    assert stored is not None
    assert Checkpoint.parse(split_note(stored)[0]).size == 7


def test_a_restarted_witness_goes_on_from_its_state_folder(
    fresh_log: Log, http_witness: HTTPWitness, recording: Recording, live_witness: LiveWitness
) -> None:
    """A witness process restarted on its folder accepts the next proof from where it was."""
    checkpointer = Checkpointer(fresh_log, LOG_SIGNER, witnesses=[http_witness], quorum=1)
    fresh_log.append_many([b"a", b"b"])
    checkpointer.publish()
    live_witness.restart()
    fresh_log.append_many([b"c", b"d", b"e"])
    after = checkpointer.publish()
    assert after is not None
    assert checkpointer.latest(trusted=True) == after
    assert _opened_by_both(after.note)[0].size == 5
    assert [(sent[0], status) for sent, status, _ in recording.exchanges] == [(0, 200), (2, 200)]


@pytest.mark.parametrize(
    ("fork_size", "kind"),
    [(3, "split-view"), (5, "inconsistent-proof")],
    ids=["same-size-other-root", "longer-but-not-an-extension"],
)
def test_a_forked_log_is_refused_with_422_and_the_evidence_names_both_checkpoints(
    fresh_log: Log,
    forked_log: Log,
    http_witness: HTTPWitness,
    recording: Recording,
    live_witness: LiveWitness,
    fork_size: int,
    kind: str,
) -> None:
    """A second database with the same origin and key but other entries gets no cosignature."""
    fresh_log.append_many([b"a", b"b", b"c"])
    honest = Checkpointer(fresh_log, LOG_SIGNER, witnesses=[http_witness], quorum=1)
    assert honest.publish() is not None
    forked_log.append_many([f"fork {i}".encode() for i in range(fork_size)])
    fork = Checkpointer(forked_log, LOG_SIGNER, witnesses=[http_witness], quorum=1)

    published = fork.publish()  # learns the witness's size (409), retries, is refused (422)

    assert published is not None
    assert published.cosignatures == 0
    assert fork.latest(trusted=True) is None
    assert [(sent[0], status) for sent, status, _ in recording.exchanges[1:]] == [
        (0, 409),
        (3, 422),
    ]
    assert recording.exchanges[-1][2].startswith(PROBLEM)
    proof = forked_log.consistency_proof(3, fork_size) if fork_size > 3 else []
    with pytest.raises(WitnessRefused) as refused:
        http_witness.add_checkpoint(3, proof, published.note)
    assert refused.value.status_code == 422
    assert ORIGIN in refused.value.message
    (evidence,) = live_witness.evidence()
    assert evidence["kind"] == kind
    honest_body = Checkpoint(ORIGIN, 3, fresh_log.root(3)).body()
    fork_body = Checkpoint(ORIGIN, fork_size, forked_log.root(fork_size)).body()
    assert str(evidence["cosigned_note"]).startswith(honest_body)
    assert str(evidence["submitted_note"]).startswith(fork_body)
    stored = live_witness.witness.state.latest(ORIGIN)
    assert stored is not None
    assert stored.startswith(honest_body)


def test_a_witness_ahead_answers_409_and_the_checkpointer_retries_from_its_size(
    fresh_log: Log, http_witness: HTTPWitness, recording: Recording
) -> None:
    """A checkpointer that believes the witness at 0 learns 4 from the 409 and sends a proof."""
    fresh_log.append_many([b"a", b"b", b"c", b"d"])
    Checkpointer(fresh_log, LOG_SIGNER, witnesses=[http_witness], quorum=1).publish()
    fresh_log.append_many([b"e", b"f"])
    forgetful = Checkpointer(fresh_log, LOG_SIGNER, witnesses=[http_witness], quorum=1)

    published = forgetful.publish()

    assert published is not None
    assert forgetful.latest(trusted=True) == published
    assert _opened_by_both(published.note)[0].size == 6
    (_, (conflict, status, content_type), (retry, retry_status, _)) = recording.exchanges
    assert (conflict[0], status, content_type) == (0, 409, TLOG_SIZE_MEDIA_TYPE)
    assert (retry[0], retry_status) == (4, 200)
    verify_consistency(4, 6, retry[1], fresh_log.root(4), fresh_log.root(6))


def test_the_client_raises_size_mismatch_with_the_witness_size(
    fresh_log: Log, http_witness: HTTPWitness
) -> None:
    """Over HTTP, a stale old size is the ledger's SizeMismatch carrying the witness's size."""
    fresh_log.append_many([b"a", b"b"])
    Checkpointer(fresh_log, LOG_SIGNER, witnesses=[http_witness], quorum=1).publish()
    note = sign_note(Checkpoint(ORIGIN, 2, fresh_log.root(2)).body(), [LOG_SIGNER])
    with pytest.raises(SizeMismatch) as mismatch:
        http_witness.add_checkpoint(1, [fresh_log.root(2)], note)
    assert (mismatch.value.size, mismatch.value.origin) == (2, ORIGIN)


def test_an_unreachable_witness_leaves_the_checkpoint_untrusted_without_raising(
    fresh_log: Log,
) -> None:
    """Nobody listens on the port: the checkpoint is stored, uncosigned, and not trusted."""
    fresh_log.append_many([b"a", b"b"])
    with HTTPWitness("gone", f"http://127.0.0.1:{_free_port()}", timeout=2) as gone:
        checkpointer = Checkpointer(fresh_log, LOG_SIGNER, witnesses=[gone], quorum=1)
        published = checkpointer.publish()
        with pytest.raises(WitnessUnavailable, match="cannot be reached"):
            gone.add_checkpoint(0, [], _note(2))
    assert published is not None
    assert published.cosignatures == 0
    assert checkpointer.latest(trusted=True) is None
    assert checkpointer.latest(trusted=False) == published


def test_a_witness_that_never_answers_times_out_as_unavailable(fresh_log: Log) -> None:
    """A socket that accepts connections but never answers costs the timeout, then fails."""
    fresh_log.append_many([b"a"])
    note = sign_note(Checkpoint(ORIGIN, 1, fresh_log.root(1)).body(), [LOG_SIGNER])
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with HTTPWitness("silent", url, timeout=0.3) as client:
            started = time.monotonic()
            with pytest.raises(WitnessUnavailable, match=r"did not answer within 0\.3 s"):
                client.add_checkpoint(0, [], note)
            assert time.monotonic() - started < 5


# -- the witness API ------------------------------------------------------------------------


def _tree(size: int) -> MerkleTree:
    tree = MerkleTree()
    tree.extend(leaf_hash(i.to_bytes(4, "big")) for i in range(size))
    return tree


def _note(size: int, *, origin: str = ORIGIN, signer: NoteSigner = LOG_SIGNER) -> str:
    return sign_note(Checkpoint(origin, size, _tree(size).root(size)).body(), [signer])


def _body(old: int, note: str, proof: list[bytes] | None = None) -> bytes:
    return format_add_checkpoint_request(old, proof or [], note)


_REFUSALS: list[tuple[str, str, str, bytes, int]] = [
    ("malformed-body", "POST", "/add-checkpoint", b"hello\n", 400),
    ("old-size-above-size", "POST", "/add-checkpoint", _body(5, _note(3)), 400),
    (
        "unknown-origin",
        "POST",
        "/add-checkpoint",
        _body(0, _note(3, origin="other.test/log", signer=NoteSigner.generate("other.test/log"))),
        404,
    ),
    (
        "untrusted-key",
        "POST",
        "/add-checkpoint",
        _body(0, _note(3, signer=NoteSigner.generate(ORIGIN))),
        403,
    ),
    (
        "empty-tree-with-a-root",
        "POST",
        "/add-checkpoint",
        _body(0, sign_note(Checkpoint(ORIGIN, 0, b"\1" * 32).body(), [LOG_SIGNER])),
        422,
    ),
    ("proof-from-zero", "POST", "/add-checkpoint", _body(0, _note(3), [b"\2" * 32]), 422),
    ("oversized", "POST", "/add-checkpoint", b"x" * (MAX_BODY_BYTES + 1), 413),
    ("get-add-checkpoint", "GET", "/add-checkpoint", b"", 405),
    ("no-such-path", "GET", "/nowhere", b"", 404),
    ("bad-origin-hash", "GET", "/NOT-A-HASH/checkpoint", b"", 404),
    ("log-never-cosigned", "GET", f"/{'0' * 64}/checkpoint", b"", 404),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [row[1:] for row in _REFUSALS],
    ids=[row[0] for row in _REFUSALS],
)
def test_every_refusal_is_problem_json_without_key_material(
    live_witness: LiveWitness, method: str, path: str, body: bytes, status: int
) -> None:
    """Each non-200 answer but the 409 is RFC 9457 problem+json with the spec's status."""
    response = httpx.request(method, live_witness.url + path, content=body or None, timeout=10)
    assert response.status_code == status
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"].startswith("https://")
    assert problem["detail"]
    assert _secret_of(WITNESS_SIGNER) not in response.text


def test_the_409_answer_is_the_size_and_a_newline_as_text_x_tlog_size(
    live_witness: LiveWitness,
) -> None:
    """The conflict body is exactly the witness's size; the media type carries no charset."""
    response = httpx.post(f"{live_witness.url}/add-checkpoint", content=_body(2, _note(3)))
    assert response.status_code == 409
    assert response.headers["content-type"] == TLOG_SIZE_MEDIA_TYPE
    assert response.content == b"0\n"


def test_an_oversized_body_is_refused_while_streaming(live_witness: LiveWitness) -> None:
    """A chunked body with no length is cut off at the limit with 413, not buffered whole."""

    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"y" * 65536

    response = httpx.post(f"{live_witness.url}/add-checkpoint", content=chunks(), timeout=10)
    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_a_body_at_the_limit_is_read_and_judged(live_witness: LiveWitness) -> None:
    """Exactly MAX_BODY_BYTES is not too large: it is parsed (and refused as malformed)."""
    response = httpx.post(
        f"{live_witness.url}/add-checkpoint", content=b"z" * MAX_BODY_BYTES, timeout=10
    )
    assert response.status_code == 400


def test_the_cosignature_answer_is_signature_lines_as_text_plain(
    live_witness: LiveWitness,
) -> None:
    """A 200 body is one cosignature line that verifies on the submitted checkpoint."""
    note = _note(5)
    response = httpx.post(f"{live_witness.url}/add-checkpoint", content=_body(0, note))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text.startswith("— witness.test/w1 ")
    assert response.text.count("\n") == 1
    assert WITNESS_VERIFIER.verify_line(split_note(note)[0], response.text) > 0


def test_the_monitoring_view_serves_the_latest_cosigned_checkpoint(
    fresh_log: Log, http_witness: HTTPWitness, live_witness: LiveWitness
) -> None:
    """GET /<sha256(origin)>/checkpoint is 404 until a cosignature, then the cosigned note."""
    path = f"{live_witness.url}/{hashlib.sha256(ORIGIN.encode()).hexdigest()}/checkpoint"
    assert httpx.get(path).status_code == 404
    fresh_log.append_many([b"a", b"b", b"c"])
    Checkpointer(fresh_log, LOG_SIGNER, witnesses=[http_witness], quorum=1).publish()
    response = httpx.get(path)
    assert response.status_code == 200
    checkpoint, _ = _opened_by_both(response.text)
    assert (checkpoint.size, checkpoint.root_hash) == (3, fresh_log.root(3))


def test_healthz_says_ok(live_witness: LiveWitness) -> None:
    """The health endpoint answers 200 with a status and nothing about keys."""
    response = httpx.get(f"{live_witness.url}/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


# -- the client against answers that break the protocol (injected transport) ---------------

_NOTE = _note(3)


def _client(
    handler: Callable[[httpx.Request], httpx.Response], *, verifier: CosignatureVerifier | None
) -> HTTPWitness:
    return HTTPWitness(
        "witness.test/w1",
        "http://witness.test/prefix/",
        transport=httpx.MockTransport(handler),
        verifier=verifier,
    )


def _cosignature(note: str = _NOTE, signer: NoteSigner = WITNESS_SIGNER) -> str:
    return cosign(split_note(note)[0], signer, 1_700_000_000)


def test_the_client_posts_the_spec_body_to_the_submission_prefix() -> None:
    """The request is POST <prefix>/add-checkpoint with the tlog-witness body, nothing else."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text=_cosignature())

    proof = [b"\3" * 32, b"\4" * 32]
    with _client(handler, verifier=WITNESS_VERIFIER) as client:
        assert client.add_checkpoint(1, proof, _NOTE) == _cosignature()
    (request,) = seen
    assert (request.method, str(request.url)) == (
        "POST",
        "http://witness.test/prefix/add-checkpoint",
    )
    assert request.content == format_add_checkpoint_request(1, proof, _NOTE)


def test_with_a_verifier_only_its_verified_lines_are_kept() -> None:
    """Lines of unknown keys are dropped (the spec says ignore them); the witness's line stays."""
    other = _cosignature(signer=NoteSigner.generate("witness.test/other"))

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=other + _cosignature())

    with _client(handler, verifier=WITNESS_VERIFIER) as client:
        assert client.add_checkpoint(0, [], _NOTE) == _cosignature()
    with _client(handler, verifier=None) as client:
        assert client.add_checkpoint(0, [], _NOTE) == other + _cosignature()


def _forged_cosignature() -> str:
    line = _cosignature()
    name, encoded = line.removesuffix("\n").rsplit(" ", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[-1] ^= 1
    return f"{name} {base64.b64encode(bytes(raw)).decode()}\n"


_BAD_ANSWERS: list[tuple[str, httpx.Response, str]] = [
    ("not-signature-lines", httpx.Response(200, text="ok\n"), "not note signature lines"),
    ("no-final-newline", httpx.Response(200, text=_cosignature().rstrip("\n")), "newline"),
    ("empty-200", httpx.Response(200, content=b""), "newline"),
    ("not-utf8", httpx.Response(200, content=b"\xff\n"), "not UTF-8"),
    (
        "another-witness-only",
        httpx.Response(200, text=_cosignature(signer=NoteSigner.generate("witness.test/w1"))),
        "no cosignature from witness.test/w1",
    ),
    ("forged-cosignature", httpx.Response(200, text=_forged_cosignature()), "does not verify"),
    (
        "cosignature-of-another-checkpoint",
        httpx.Response(200, text=_cosignature(_note(4))),
        "does not verify",
    ),
    (
        "409-without-media-type",
        httpx.Response(409, content=b"3\n", headers={"Content-Type": "text/plain"}),
        "text/x.tlog.size",
    ),
    (
        "too-large-declared",
        httpx.Response(200, content=b"a" * (MAX_RESPONSE_BYTES + 1)),
        f"more than {MAX_RESPONSE_BYTES} bytes",
    ),
    (
        "too-large-streamed",
        httpx.Response(200, content=iter([b"a" * 40_000, b"a" * 40_000])),
        f"more than {MAX_RESPONSE_BYTES} bytes",
    ),
    (
        "gzip-encoded",
        httpx.Response(200, content=b"\x1f\x8b", headers={"Content-Encoding": "gzip"}),
        "'gzip'-encoded",
    ),
    (
        "redirect-to-another-host",
        httpx.Response(308, headers={"Location": "http://elsewhere.test/add-checkpoint"}),
        "another origin",
    ),
    (
        "redirect-that-drops-the-body",
        httpx.Response(302, headers={"Location": "/prefix/v2/add-checkpoint"}),
        "drops the request body",
    ),
]


@pytest.mark.parametrize(
    ("answer", "message"),
    [row[1:] for row in _BAD_ANSWERS],
    ids=[row[0] for row in _BAD_ANSWERS],
)
def test_an_answer_that_breaks_the_protocol_is_not_used(
    answer: httpx.Response, message: str
) -> None:
    """Every such answer is a WitnessProtocolError, and at most one request was sent."""
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return answer

    with (
        _client(handler, verifier=WITNESS_VERIFIER) as client,
        pytest.raises(WitnessProtocolError, match=message),
    ):
        client.add_checkpoint(0, [], _NOTE)
    assert calls == ["http://witness.test/prefix/add-checkpoint"]


def test_a_same_origin_307_is_followed_with_the_body() -> None:
    """A temporary redirect on the same host is followed, and the body goes again."""
    bodies: list[tuple[str, bytes]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append((request.url.path, request.content))
        if request.url.path == "/prefix/add-checkpoint":
            return httpx.Response(307, headers={"Location": "/v2/add-checkpoint"})
        return httpx.Response(200, text=_cosignature())

    with _client(handler, verifier=WITNESS_VERIFIER) as client:
        assert client.add_checkpoint(0, [], _NOTE) == _cosignature()
    body = format_add_checkpoint_request(0, [], _NOTE)
    assert bodies == [("/prefix/add-checkpoint", body), ("/v2/add-checkpoint", body)]


def test_endless_same_origin_redirects_stop() -> None:
    """A witness that redirects forever is given up on after MAX_REDIRECTS."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(308, headers={"Location": "/prefix/add-checkpoint"})

    with (
        _client(handler, verifier=None) as client,
        pytest.raises(WitnessProtocolError, match="redirected more than"),
    ):
        client.add_checkpoint(0, [], _NOTE)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, WitnessRefused),
        (403, WitnessRefused),
        (404, WitnessRefused),
        (422, WitnessRefused),
        (500, WitnessUnavailable),
        (503, WitnessUnavailable),
    ],
    ids=["400", "403", "404", "422", "500", "503"],
)
def test_refusals_and_failures_name_the_status_and_the_witness_message(
    status: int, error: type[Exception]
) -> None:
    """4xx is WitnessRefused, 5xx WitnessUnavailable; both quote the problem's detail."""

    def handler(request: httpx.Request) -> httpx.Response:
        problem = {"status": status, "detail": "line\none\tof detail"}
        return httpx.Response(
            status, json=problem, headers={"Content-Type": "application/problem+json"}
        )

    with _client(handler, verifier=None) as client, pytest.raises(error) as raised:
        client.add_checkpoint(0, [], _NOTE)
    assert not isinstance(raised.value, WitnessProtocolError)
    assert f"{status}: line one of detail" in str(raised.value)
    if isinstance(raised.value, WitnessRefused):
        assert (raised.value.status_code, raised.value.message) == (status, "line one of detail")


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_any_uint64_in_a_409_becomes_the_size_mismatch(size: int) -> None:
    """The 409 body's decimal size comes back as SizeMismatch.size, whatever its value."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            409, content=f"{size}\n".encode(), headers={"Content-Type": TLOG_SIZE_MEDIA_TYPE}
        )

    with _client(handler, verifier=None) as client, pytest.raises(SizeMismatch) as raised:
        client.add_checkpoint(0, [], _NOTE)
    assert (raised.value.size, raised.value.origin) == (size, ORIGIN)


@pytest.mark.parametrize(
    "body",
    [b"", b"3", b"03\n", b"3\n\n", b" 3\n", b"-1\n", str(2**64).encode() + b"\n"],
    ids=["empty", "no-newline", "leading-zero", "two-newlines", "space", "negative", "2^64"],
)
def test_a_409_without_a_plain_uint64_size_is_a_protocol_error(body: bytes) -> None:
    """Only decimal, no leading zeroes, below 2^64, one newline: anything else is refused."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(409, content=body, headers={"Content-Type": TLOG_SIZE_MEDIA_TYPE})

    with (
        _client(handler, verifier=None) as client,
        pytest.raises(WitnessProtocolError, match="without a tree size"),
    ):
        client.add_checkpoint(0, [], _NOTE)


@pytest.mark.parametrize(
    "url",
    ["ftp://witness.test", "witness.test:8800", "http://", "http://w.test/?q=1"],
    ids=["ftp", "no-scheme", "no-host", "query"],
)
def test_a_witness_url_must_be_http_with_a_host(url: str) -> None:
    """A URL the client cannot POST to is refused when the witness is configured."""
    with pytest.raises(InvalidInput, match="witness URL"):
        HTTPWitness("w", url)


# -- configuration: logs, the app, the command ----------------------------------------------


def test_witnessed_logs_come_from_vkeys_and_pub_files(tmp_path: Path) -> None:
    """Vkey text and .pub files both work; blank lines and comments are skipped."""
    other = NoteSigner.generate("other.test/log")
    pub = tmp_path / "other.pub"
    pub.write_text(other.vkey() + "\n")
    logs = load_witnessed_logs(["# the ledger", LOG_SIGNER.vkey(), "", f"  {pub}  "])
    assert logs == {ORIGIN: LOG_SIGNER.verifier(), "other.test/log": other.verifier()}


@pytest.mark.parametrize(
    ("entries", "error", "message"),
    [
        ([], InvalidInput, "no log to witness"),
        (["# only a comment"], InvalidInput, "no log to witness"),
        (["missing.pub"], NotFound, "missing.pub"),
        (["not-a-vkey"], KeyFormatError, "not name\\+keyid\\+key"),
        ([WITNESS_VERIFIER.vkey()], KeyFormatError, "type 0x04"),
        ([LOG_SIGNER.vkey(), NoteSigner.generate(ORIGIN).vkey()], InvalidInput, "two keys"),
    ],
    ids=["none", "comments-only", "missing-file", "garbage", "cosigner-key", "two-keys-one-log"],
)
def test_bad_witnessed_logs_are_refused(
    entries: list[str], error: type[Exception], message: str
) -> None:
    """Each configuration mistake is named before the witness serves anything."""
    with pytest.raises(error, match=message):
        load_witnessed_logs(entries)


def _witness_key(tmp_path: Path) -> Path:
    """A new witness key file (0600) named like WITNESS_SIGNER, with its .pub beside it."""
    key = tmp_path / "witness.key"
    generate_key(key, WITNESS_SIGNER.name)
    return key


def _signer_in(key: Path) -> NoteSigner:
    """The signer in a key file, whatever its mode (for checking what must not leak)."""
    return NoteSigner.from_signer_key(key.read_text().strip())


def _cosigner_of(key: Path) -> CosignatureVerifier:
    return _signer_in(key).cosignature_verifier()


def test_the_app_serves_the_witness_loaded_from_its_files(tmp_path: Path) -> None:
    """The witness built from a key file, a state folder and a log's .pub cosigns with that
    key, and keeps its record in that folder."""
    key = _witness_key(tmp_path)
    pub = tmp_path / "log.pub"
    pub.write_text(LOG_SIGNER.vkey() + "\n")
    witness = load_witness(key, tmp_path / "state", [str(pub)])
    note = _note(2)
    with TestClient(create_witness_app(witness)) as client:
        response = client.post("/add-checkpoint", content=_body(0, note))
    assert response.status_code == 200
    verifier = _cosigner_of(key)
    assert verifier.verify_line(split_note(note)[0], response.text) > 0
    assert len(list((tmp_path / "state" / "checkpoints").iterdir())) == 1


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"Content-Length": str(MAX_BODY_BYTES + 1)}, b"x" * (MAX_BODY_BYTES + 1)),
        ({}, iter([b"y" * 65536] * (MAX_BODY_BYTES // 65536 + 2))),
    ],
    ids=["declared", "chunked"],
)
def test_a_body_over_the_witness_limit_is_the_platforms_413(
    headers: dict[str, str], body: bytes | Iterator[bytes]
) -> None:
    """Under a larger server-wide limit, a body past the witness's own 1 MiB is refused by
    the app with the platform's one 413 problem (payload-too-large) naming the limit."""
    witness = Witness(WITNESS_SIGNER, MemoryWitnessState(), {ORIGIN: LOG_SIGNER.verifier()})
    app = create_witness_app(witness, Settings(max_body_bytes=4 * MAX_BODY_BYTES))
    with TestClient(app) as client:
        response = client.post("/add-checkpoint", content=body, headers=headers)
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == f"https://wenyuan.dev/problems/{PayloadTooLarge.type_slug}"
    assert problem["title"] == PayloadTooLarge.title
    assert problem["limit"] == MAX_BODY_BYTES
    assert "add-checkpoint body may hold at most 1,048,576 bytes" in problem["detail"]


def _command_app() -> typer.Typer:
    """The witness command alone, as the lead registers it under ``wenyuan ledger``."""
    app = typer.Typer()
    app.command()(witness_command)
    return app


def test_the_command_refuses_a_key_file_others_can_read(tmp_path: Path) -> None:
    """A 0644 key file stops the command with one error line and exit code 1."""
    key = _witness_key(tmp_path)
    key.chmod(0o644)
    result = CliRunner().invoke(
        _command_app(),
        ["--key", str(key), "--state", str(tmp_path / "s"), "--log", LOG_SIGNER.vkey()],
    )
    assert result.exit_code == 1
    assert "chmod 600" in result.output
    assert _secret_of(_signer_in(key)) not in result.output
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("left_out", ["--key", "--state", "--log"])
def test_the_command_names_an_option_it_misses_and_serves_nothing(
    tmp_path: Path, left_out: str
) -> None:
    """Key, state folder and logs are all required: one left out is named (usage error, exit
    2) before any file is read or folder made."""
    key = _witness_key(tmp_path)
    options = {"--key": str(key), "--state": str(tmp_path / "s"), "--log": LOG_SIGNER.vkey()}
    args = [item for name, value in options.items() if name != left_out for item in (name, value)]
    result = CliRunner().invoke(_command_app(), args)
    assert result.exit_code == 2
    assert f"Missing option '{left_out}'" in " ".join(result.output.split())
    assert not (tmp_path / "s").exists()


def test_the_command_refuses_a_log_that_is_not_a_vkey(tmp_path: Path) -> None:
    """A --log that is neither a vkey nor a key file is named, and nothing is served."""
    key = _witness_key(tmp_path)
    result = CliRunner().invoke(
        _command_app(),
        ["--key", str(key), "--state", str(tmp_path / "s"), "--log", "not-a-vkey"],
    )
    assert result.exit_code == 1
    assert "error:" in result.output
    assert "not-a-vkey" in result.output


_SERVE = textwrap.dedent(
    """
    import typer
    from wenyuan.cli.witness import witness

    app = typer.Typer()
    app.command()(witness)
    app()
    """
)


def test_the_command_serves_a_witness_that_cosigns_for_the_printed_vkey(
    tmp_path: Path, fresh_log: Log
) -> None:
    """A subprocess prints the cosignature vkey, serves, and a log's checkpoint is cosigned:
    the options alone configure it, with no WENYUAN_WITNESS_* variable in its environment."""
    key = _witness_key(tmp_path)
    pub = tmp_path / "log.pub"
    pub.write_text(LOG_SIGNER.vkey() + "\n")
    port = _free_port()
    args = ["--key", str(key), "--state", str(tmp_path / "state"), "--log", str(pub)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("WENYUAN_WITNESS_")}
    env["WENYUAN_LOG_LEVEL"] = "info"
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE, *args, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        printed = process.stdout.readline().strip()
        cosigner = CosignatureVerifier.from_vkey(printed)
        assert cosigner == _cosigner_of(key)
        url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(url, lambda: process.poll() is None)
        fresh_log.append_many([b"a", b"b", b"c"])
        with HTTPWitness(cosigner.name, url, verifier=cosigner) as client:
            checkpointer = Checkpointer(fresh_log, LOG_SIGNER, witnesses=[client], quorum=1)
            published = checkpointer.publish()
        assert published is not None
        assert checkpointer.latest(trusted=True) == published
        open_note(published.note, [LOG_SIGNER.verifier(), cosigner])
    finally:
        process.terminate()
        out, err = process.communicate(timeout=_START_TIMEOUT)
    assert process.returncode in (0, -signal.SIGTERM), err  # uvicorn re-raises SIGTERM
    secret = _secret_of(_signer_in(key))
    assert secret not in out
    assert secret not in err
    assert "witness.cosigned" in err
