"""/api/ledger: submit signed statements, fetch receipts, proofs, assets and checkpoints.

The statement endpoint takes the exact leaf bytes (the JSON envelope of statement, signature
and key, see ``wenyuan.ledger._statements``) as the request body: what is hashed into the log
is what the client sent, byte for byte. The C2SP paths a static mirror serves
(``/ledger/checkpoint``, ``/ledger/tile/…``) are in ``tlog_router``, outside ``/api``.

Every route calls one method of the ledger service (``platform.ledger``) and renders the
value it returns with ``to_json()``. A receipt that is not ready yet is not an error: both
the statement POST and the receipt GET answer it with 202, the pending body and
``Retry-After``.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from wenyuan.api.bodies import read_body
from wenyuan.api.deps import PlatformDep
from wenyuan.api.openapi import problems
from wenyuan.api.schemas import (
    ConsistencyProofOut,
    EntryOut,
    InclusionProofOut,
    PendingReceiptOut,
    ReceiptOut,
)
from wenyuan.core.errors import InvalidInput, NotFound
from wenyuan.ledger import MAX_LEAF_BYTES, PendingReceipt, Receipt, TilePathError

__all__ = ["router", "tlog_router"]

_TEXT = "text/plain; charset=utf-8"

router = APIRouter(prefix="/ledger", tags=["ledger"])
tlog_router = APIRouter(prefix="/ledger", tags=["tlog"])

_NO_ENTRY = "No such entry: the index is past the end of the log."
_NO_TREE = "The log has no entry or tree of that size yet."
_TILE_HEADERS = {
    "ETag": {"description": "A strong validator of the bytes.", "schema": {"type": "string"}},
    "Cache-Control": {"description": "Always `no-cache`.", "schema": {"type": "string"}},
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before fetching the receipt again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}


def _pending(pending: PendingReceipt, retry_after: int) -> JSONResponse:
    """202: the entry is in the log, its receipt not ready; where and when to ask again."""
    return JSONResponse(
        pending.to_json(), status_code=202, headers={"Retry-After": str(retry_after)}
    )


@router.get("", summary="The ledger: size, checkpoint, witnesses")
def summary(platform: PlatformDep) -> dict[str, Any]:
    """The log's origin and verifier key, its size, the newest trusted checkpoint, the
    witnesses and quorum, and the sizes of recent checkpoints."""
    return platform.ledger.summary().to_json()


@router.post(
    "/statements",
    status_code=201,
    summary="Submit a signed statement",
    response_class=JSONResponse,
    responses={
        201: {"model": ReceiptOut, "description": "Appended, with its receipt."},
        202: {
            "model": PendingReceiptOut,
            "description": "Appended; the receipt is not ready yet: fetch it from `receipt` "
            "after `Retry-After` seconds.",
            "headers": _RETRY_AFTER,
        },
        **problems(
            409,
            413,
            422,
            s409="Refused by the ledger's state (already registered, not the owner, stale prev).",
            s413="Larger than a log entry may be.",
            s422="Not a leaf: malformed JSON, a malformed statement or a bad signature.",
        ),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The exact leaf bytes: the RFC 8785 JSON of key, sig and statement.",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["key", "sig", "statement"],
                        "properties": {
                            "key": {"type": "string"},
                            "sig": {"type": "string"},
                            "statement": {"type": "object"},
                        },
                    }
                }
            },
        }
    },
)
async def submit_statement(
    request: Request,
    platform: PlatformDep,
    wait: Annotated[float | None, Query(ge=0, le=60)] = None,
) -> Response:
    """Check the statement (signature, state) and append it. Answers 201 with the receipt
    bundle once a trusted checkpoint covers it (waiting up to `wait` seconds), else 202 with
    the entry's index and where to fetch the receipt, and `Retry-After`."""
    leaf = await read_body(request, MAX_LEAF_BYTES, what="a statement leaf")
    if not leaf:
        raise InvalidInput("the request body must be the statement leaf (JSON)")
    ledger = platform.ledger
    seconds = platform.settings.ledger_receipt_wait if wait is None else wait
    accepted = await run_in_threadpool(ledger.submit, leaf)  # checks the signature and state
    index = (await asyncio.wrap_future(accepted.future)).start  # durable: group-committed
    # Wait for the covering checkpoint on the event loop: a slow witness then holds no
    # worker thread, however many submissions wait.
    deadline = time.monotonic() + seconds
    while True:
        result = ledger.receipt(index)
        if isinstance(result, Receipt):
            return JSONResponse(result.to_json(), status_code=201)
        if time.monotonic() >= deadline:
            return _pending(result, ledger.retry_after)
        await asyncio.sleep(0.05)


IndexPath = Annotated[int, Path(ge=0, le=2**53)]


@router.get(
    "/entries/{index}",
    summary="One log entry",
    response_model=EntryOut,
    responses=problems(404, s404=_NO_ENTRY),
)
def entry(platform: PlatformDep, index: IndexPath) -> dict[str, Any]:
    """The exact leaf bytes of an entry (base64) and the statement they hold."""
    return platform.ledger.entry(index).to_json()


@router.get(
    "/entries/{index}/receipt",
    summary="The receipt of an entry",
    response_model=ReceiptOut,
    responses={
        202: {
            "model": PendingReceiptOut,
            "description": "The entry is in the log, but no trusted checkpoint covers it yet "
            "(the witnesses are slow or unreachable): ask again after `Retry-After` seconds.",
            "headers": _RETRY_AFTER,
        },
        **problems(
            404, s404="No such entry: past the end of the log, or of the earlier log named."
        ),
    },
)
def receipt(
    platform: PlatformDep,
    index: IndexPath,
    log: Annotated[str | None, Query(max_length=255)] = None,
) -> Response:
    """The receipt bundle on the newest trusted checkpoint: verify it with `wenyuan verify`.
    `log` names an earlier log of the chain (after a key rotation) the entry belongs to.
    Not ready yet: 202 with where to ask again and `Retry-After`."""
    ledger = platform.ledger
    result = ledger.receipt(index, log=log)
    if isinstance(result, PendingReceipt):
        return _pending(result, ledger.retry_after)
    return JSONResponse(result.to_json())


@router.get("/assets", summary="Registered assets")
def assets(
    platform: PlatformDep,
    cursor: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Assets in id order; pass the last id back as `cursor` for the next page."""
    return platform.ledger.assets(limit=limit, after=cursor).to_json()


@router.get(
    "/assets/{asset_id}",
    summary="An asset's state and history",
    responses=problems(404, s404="No asset with this id."),
)
def asset(platform: PlatformDep, asset_id: Annotated[str, Path(max_length=80)]) -> dict[str, Any]:
    """What the log says about the asset now, and every statement that made it so."""
    return platform.ledger.history(asset_id).to_json()


@router.get(
    "/proofs/inclusion",
    summary="Inclusion proof",
    response_model=InclusionProofOut,
    responses=problems(
        404, 422, s404=_NO_TREE, s422="`index` is not in the tree of `size` entries."
    ),
)
def inclusion_proof(
    platform: PlatformDep,
    index: Annotated[int, Query(ge=0, le=2**53)],
    size: Annotated[int, Query(ge=1, le=2**53)],
) -> dict[str, Any]:
    """RFC 9162 inclusion proof of entry `index` in the tree of `size` entries."""
    return platform.ledger.inclusion_proof(index, size).to_json()


@router.get(
    "/proofs/consistency",
    summary="Consistency proof",
    response_model=ConsistencyProofOut,
    responses=problems(404, 422, s404=_NO_TREE, s422="`old` is larger than `new`."),
)
def consistency_proof(
    platform: PlatformDep,
    old: Annotated[int, Query(ge=1, le=2**53)],
    new: Annotated[int, Query(ge=1, le=2**53)],
) -> dict[str, Any]:
    """RFC 9162 consistency proof between the trees of `old` and `new` entries."""
    return platform.ledger.consistency_proof(old, new).to_json()


@tlog_router.get(
    "/checkpoint",
    summary="The newest checkpoint (C2SP tlog-checkpoint)",
    response_class=Response,
    responses={
        200: {
            "description": "The checkpoint note.",
            "content": {_TEXT: {"schema": {"type": "string"}}},
            "headers": {"Cache-Control": _TILE_HEADERS["Cache-Control"]},
        },
        **problems(404, s404="The log has not published a trusted checkpoint yet."),
    },
)
def checkpoint(platform: PlatformDep) -> Response:
    """The signed note, with witness cosignatures, as `text/plain; charset=utf-8`; not to be
    cached (tlog-tiles asks for at most a few seconds)."""
    return Response(
        platform.ledger.checkpoint_note(),
        media_type=_TEXT,
        headers={"Cache-Control": "no-cache"},
    )


@tlog_router.get(
    "/tile/{path:path}",
    summary="A tile or entry bundle (C2SP tlog-tiles)",
    response_class=Response,
    responses={
        200: {
            "description": "The tile's bytes.",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
            "headers": _TILE_HEADERS,
        },
        304: {"description": "Unchanged since the If-None-Match ETag.", "headers": _TILE_HEADERS},
        **problems(404, s404="Not a tile path, or a tile the published tree does not have."),
    },
)
def tile(
    request: Request, platform: PlatformDep, path: Annotated[str, Path(max_length=120)]
) -> Response:
    """Hash tiles and entry bundles of the published tree. A full tile never changes while
    its log is open, but these paths follow the open log across key rotations, so they are
    revalidated (ETag) rather than cached for good."""
    try:
        data = platform.ledger.tile(f"tile/{path}")
    except TilePathError as exc:  # a static server would not have the file either
        raise NotFound(exc.detail, path=path) from exc
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    headers = {"Cache-Control": "no-cache", "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="application/octet-stream", headers=headers)
