"""The witness service over HTTP: c2sp.org/tlog-witness ``add-checkpoint``, monitoring, health.

``create_witness_app(witness, settings)`` is the one app that serves a ``Witness`` (the
command ``wenyuan ledger witness`` builds the witness from its files and hands this app to
uvicorn):

- ``POST /add-checkpoint``: the spec's request body; 200 with the cosignature line(s) as
  ``text/plain``, 409 with the witness's size as ``text/x.tlog.size``, and 400, 403, 404,
  408, 413, 422, 503 as RFC 9457 problem+json (the spec fixes the status codes, not those
  bodies; the 413 is the platform's ``payload-too-large``).
- ``GET /<sha256(origin) in hex>/checkpoint``: the latest cosigned checkpoint of a log, with
  the log's signature and the witness's cosignature (the spec's monitoring view).
- ``GET /healthz``: ``{"status": "ok"}``.

Every request passes the same ``RequestGuard`` as the platform's (``wenyuan._guards``), with
the settings' body limit, body timeout and bound on bodies read at once; but any ``Host`` is
answered, as logs reach a witness by whatever name they were given and it builds no URL from
it, and its ``text/plain`` bodies are not held to the API's JSON rule.

Hazards: the app holds the witness's private key (inside ``Witness.signer``). No response and
no log line carries key material: only origins, sizes, key names and key ids. A request body
is read in chunks and refused with 413 as soon as it passes ``max_body_bytes`` (or the
server-wide limit, if smaller), so a client cannot make the witness buffer an unbounded body.
``Witness.add_checkpoint`` writes and fsyncs; it runs in the thread pool, never on the event
loop.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog
from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from wenyuan import __version__
from wenyuan._guards import GuardPolicy, RequestGuard
from wenyuan.api.bodies import read_body
from wenyuan.api.problems import install_problem_handlers, problem_response
from wenyuan.core.config import Settings, get_settings
from wenyuan.ledger import (
    TLOG_SIZE_MEDIA_TYPE,
    InconsistentCheckpoint,
    SizeMismatch,
    UnknownLog,
    Witness,
    parse_add_checkpoint_request,
)

if TYPE_CHECKING:
    from starlette.types import Scope

    from wenyuan.core.errors import WenyuanError

__all__ = ["MAX_BODY_BYTES", "create_witness_app"]

MAX_BODY_BYTES = 1 << 20
"""Largest add-checkpoint body accepted (1 MiB): 63 proof lines and a note are a few KiB."""

_TEXT = "text/plain; charset=utf-8"
_ORIGIN_HASH = re.compile(r"[0-9a-f]{64}", re.ASCII)

log = structlog.get_logger(__name__)


def _size_response(size: int) -> Response:
    """The 409 answer: the size and a newline, ``Content-Type: text/x.tlog.size`` exactly."""
    # Set as a header, not media_type: Starlette would append "; charset=utf-8" to a text/*.
    return Response(f"{size}\n", status_code=409, headers={"Content-Type": TLOG_SIZE_MEDIA_TYPE})


def create_witness_app(
    witness: Witness,
    settings: Settings | None = None,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> FastAPI:
    """The witness's HTTP application (see the module docstring for its routes and guard).

    ``settings`` gives the guard's limits (``max_body_bytes``, ``body_timeout``,
    ``max_concurrent_bodies``; the cached settings when None); ``max_body_bytes`` is the
    largest add-checkpoint body this app reads, under the server-wide limit.
    """
    settings = settings or get_settings()
    by_hash = {hashlib.sha256(origin.encode()).hexdigest(): origin for origin in witness.logs}
    app = FastAPI(
        title="Wenyuan witness",
        version=__version__,
        description="A c2sp.org/tlog-witness witness for Wenyuan trust ledgers.",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.witness = witness

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        body = await read_body(request, max_body_bytes, what="an add-checkpoint body")
        old_size, proof, note = parse_add_checkpoint_request(body)
        try:
            line = await run_in_threadpool(
                witness.add_checkpoint, old_size, proof, note, datetime.now(UTC)
            )
        except SizeMismatch as exc:
            log.info("witness.size_mismatch", origin=exc.origin, old=old_size, size=exc.size)
            return _size_response(exc.size)
        except InconsistentCheckpoint as exc:
            evidence = exc.evidence
            log.warning(
                "witness.inconsistent_checkpoint",
                origin=evidence.origin,
                kind=evidence.kind,
                evidence=evidence.digest(),
                reason=evidence.reason,
            )
            raise
        origin = note.partition("\n")[0]  # the checkpoint's origin line, verified by now
        log.info("witness.cosigned", origin=origin, old=old_size, proof=len(proof))
        return Response(line, media_type=_TEXT)

    @app.get("/{origin_hash}/checkpoint")
    def latest_checkpoint(origin_hash: str) -> Response:
        if not _ORIGIN_HASH.fullmatch(origin_hash):
            raise UnknownLog(
                "the path names a log by the lowercase hex SHA-256 of its origin",
                origin_hash=origin_hash[:64],
            )
        origin = by_hash.get(origin_hash)
        if origin is None:
            raise UnknownLog(
                f"this witness follows no log whose origin hashes to {origin_hash}",
                origin_hash=origin_hash,
            )
        return Response(witness.latest_checkpoint(origin), media_type=_TEXT)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    install_problem_handlers(app)
    policy = GuardPolicy(
        allowed_hosts=("*",),
        public_url=None,
        max_body_bytes=settings.max_body_bytes,
        body_timeout=settings.body_timeout,
        max_concurrent_bodies=settings.max_concurrent_bodies,
        json_paths=(),
    )
    app.add_middleware(RequestGuard, policy=policy, render=_refusal)
    return app


def _refusal(scope: Scope, exc: WenyuanError) -> Response:
    """The guard's refusals: problem+json on every path."""
    return problem_response(Request(scope), exc)
