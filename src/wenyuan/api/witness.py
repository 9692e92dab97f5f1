"""The witness service over HTTP: c2sp.org/tlog-witness ``add-checkpoint``, monitoring, health.

``create_witness_app(witness)`` serves one ``Witness``:

- ``POST /add-checkpoint``: the spec's request body; 200 with the cosignature line(s) as
  ``text/plain``, 409 with the witness's size as ``text/x.tlog.size``, and 400, 403, 404,
  413, 422 as RFC 9457 problem+json (the spec fixes the status codes, not those bodies).
- ``GET /<sha256(origin) in hex>/checkpoint``: the latest cosigned checkpoint of a log, with
  the log's signature and the witness's cosignature (the spec's monitoring view).
- ``GET /healthz``: ``{"status": "ok"}``.

Hazards: the app holds the witness's private key (inside ``Witness.signer``). No response and
no log line carries key material: only origins, sizes, key names and key ids. A request body
is read in chunks and refused with 413 as soon as it passes ``max_body_bytes``, so a client
cannot make the witness buffer an unbounded body. ``Witness.add_checkpoint`` writes and
fsyncs; it runs in the thread pool, never on the event loop.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from wenyuan import __version__
from wenyuan.api.problems import problem_response
from wenyuan.core.errors import InvalidInput, WenyuanError
from wenyuan.ledger.witness import (
    TLOG_SIZE_MEDIA_TYPE,
    InconsistentCheckpoint,
    SizeMismatch,
    UnknownLog,
    Witness,
    parse_add_checkpoint_request,
)

__all__ = ["MAX_BODY_BYTES", "RequestTooLarge", "create_witness_app"]

MAX_BODY_BYTES = 1 << 20
"""Largest add-checkpoint body accepted (1 MiB): 63 proof lines and a note are a few KiB."""

_TEXT = "text/plain; charset=utf-8"
_ORIGIN_HASH = re.compile(r"[0-9a-f]{64}", re.ASCII)

log = structlog.get_logger(__name__)


class RequestTooLarge(InvalidInput):
    """The request body is larger than the witness accepts (413): send a smaller body."""

    title = "Request body too large"
    status = 413
    type_slug = "request-too-large"


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with ``RequestTooLarge`` once it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise RequestTooLarge(
            f"the body declares {declared} bytes; at most {limit} are accepted", limit=limit
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise RequestTooLarge(f"the body passes {limit} bytes, the most accepted", limit=limit)
    return bytes(body)


def _size_response(size: int) -> Response:
    """The 409 answer: the size and a newline, ``Content-Type: text/x.tlog.size`` exactly."""
    # Set as a header, not media_type: Starlette would append "; charset=utf-8" to a text/*.
    return Response(f"{size}\n", status_code=409, headers={"Content-Type": TLOG_SIZE_MEDIA_TYPE})


def create_witness_app(witness: Witness, *, max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    """The witness's HTTP application (see the module docstring for its routes)."""
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
        body = await _read_body(request, max_body_bytes)
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

    _install_problems(app)
    return app


def _install_problems(app: FastAPI) -> None:
    async def handle(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, WenyuanError | RequestValidationError | HTTPException):
            log.exception("witness.request_failed", path=request.url.path)
        elif isinstance(exc, WenyuanError) and exc.status >= 500:
            log.error("witness.request_error", path=request.url.path, detail=exc.detail)
        return problem_response(request, exc)  # keeps an HTTPException's headers (Allow)

    app.add_exception_handler(WenyuanError, handle)
    app.add_exception_handler(RequestValidationError, handle)
    app.add_exception_handler(HTTPException, handle)
    app.add_exception_handler(Exception, handle)
