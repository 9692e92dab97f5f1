"""/api/ledger: submit signed statements, fetch receipts, proofs, assets and checkpoints.

The statement endpoint takes the exact leaf bytes (the JSON envelope of statement, signature
and key, see ``wenyuan.ledger.statements``) as the request body: what is hashed into the log
is what the client sent, byte for byte. The C2SP paths a static mirror serves
(``/ledger/checkpoint``, ``/ledger/tile/…``) are in ``tlog_router``, outside ``/api``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from wenyuan.api.deps import PlatformDep
from wenyuan.api.schemas import ProblemOut
from wenyuan.core.errors import InvalidInput, NotFound, PayloadTooLarge
from wenyuan.ledger import (
    MAX_LEAF_BYTES,
    ReceiptPending,
    TilePathError,
    leaf_hash,
    read_leaf,
    statement_hash,
)

__all__ = ["router", "tlog_router"]

router = APIRouter(prefix="/ledger", tags=["ledger"])
tlog_router = APIRouter(prefix="/ledger", tags=["tlog"])

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"model": ProblemOut, "description": "Not in the log (or no receipt yet)."},
    409: {"model": ProblemOut, "description": "Refused in the current state."},
    413: {"model": ProblemOut, "description": "Larger than a log entry may be."},
    422: {"model": ProblemOut, "description": "Malformed statement or bad signature."},
}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def _read_limited(request: Request, limit: int) -> bytes:
    """The body, refused from its declared length or as soon as it grows past ``limit``
    (the server-wide limit, timeout and slot bound are the guard's, in ``wenyuan._guards``)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            f"a statement leaf may hold at most {limit:,} bytes; the body declares "
            f"{int(declared):,}",
            limit=limit,
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"a statement leaf may hold at most {limit:,} bytes", limit=limit)
    return bytes(body)


@router.get("", summary="The ledger: size, checkpoint, witnesses")
def summary(platform: PlatformDep) -> dict[str, Any]:
    """The log's origin and verifier key, its size, the newest trusted checkpoint, the
    witnesses and quorum, and the sizes of recent checkpoints."""
    return platform.ledger.summary()


@router.post(
    "/statements",
    status_code=201,
    summary="Submit a signed statement",
    responses={202: {"description": "Appended; the receipt is not ready yet."}, **_PROBLEMS},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
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
    the entry's index and where to fetch the receipt."""
    leaf = await _read_limited(request, MAX_LEAF_BYTES)
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
        try:
            bundle = ledger.receipt(index)
        except ReceiptPending:
            if time.monotonic() >= deadline:
                return JSONResponse(
                    {"leaf_index": index, "receipt": f"/api/ledger/entries/{index}/receipt"},
                    status_code=202,
                )
            await asyncio.sleep(0.05)
            continue
        return JSONResponse(bundle, status_code=201)


IndexPath = Annotated[int, Path(ge=0, le=2**53)]


@router.get("/entries/{index}", summary="One log entry", responses=_PROBLEMS)
def entry(platform: PlatformDep, index: IndexPath) -> dict[str, Any]:
    """The exact leaf bytes of an entry (base64) and the statement they hold."""
    leaf = platform.ledger.log.leaf(index)
    signed = read_leaf(leaf)  # shown as stored; receipts and `ledger replay` verify it
    return {
        "leaf_index": index,
        "leaf": _b64(leaf),
        "leaf_hash": _b64(leaf_hash(leaf)),
        "statement_hash": statement_hash(leaf),
        "statement": signed.statement,
        "signature": _b64(signed.signature),
        "issuer": signed.issuer,
    }


@router.get("/entries/{index}/receipt", summary="The receipt of an entry", responses=_PROBLEMS)
def receipt(
    platform: PlatformDep,
    index: IndexPath,
    log: Annotated[str | None, Query(max_length=255)] = None,
) -> dict[str, Any]:
    """The receipt bundle on the newest trusted checkpoint: verify it with `wenyuan verify`.
    `log` names an earlier log of the chain (after a key rotation) the entry belongs to."""
    return platform.ledger.receipt(index, log=log)


@router.get("/assets", summary="Registered assets")
def assets(
    platform: PlatformDep,
    cursor: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Assets in id order; pass the last id back as `cursor` for the next page."""
    items = platform.ledger.registry.assets(limit=limit, after=cursor)
    return {
        "items": [a.to_json() for a in items],
        "next_cursor": items[-1].asset_id if len(items) == limit else None,
    }


@router.get("/assets/{asset_id}", summary="An asset's state and history", responses=_PROBLEMS)
def asset(platform: PlatformDep, asset_id: Annotated[str, Path(max_length=80)]) -> dict[str, Any]:
    """What the log says about the asset now, and every statement that made it so."""
    ledger = platform.ledger
    return {"state": ledger.asset(asset_id).to_json(), "history": ledger.history(asset_id)}


@router.get("/proofs/inclusion", summary="Inclusion proof", responses=_PROBLEMS)
def inclusion_proof(
    platform: PlatformDep,
    index: Annotated[int, Query(ge=0, le=2**53)],
    size: Annotated[int, Query(ge=1, le=2**53)],
) -> dict[str, Any]:
    """RFC 9162 inclusion proof of entry `index` in the tree of `size` entries."""
    log = platform.ledger.log
    proof = log.inclusion_proof(index, size)
    return {"leaf_index": index, "tree_size": size, "proof": [_b64(h) for h in proof]}


@router.get("/proofs/consistency", summary="Consistency proof", responses=_PROBLEMS)
def consistency_proof(
    platform: PlatformDep,
    old: Annotated[int, Query(ge=1, le=2**53)],
    new: Annotated[int, Query(ge=1, le=2**53)],
) -> dict[str, Any]:
    """RFC 9162 consistency proof between the trees of `old` and `new` entries."""
    proof = platform.ledger.log.consistency_proof(old, new)
    return {"old_size": old, "new_size": new, "proof": [_b64(h) for h in proof]}


@tlog_router.get("/checkpoint", summary="The newest checkpoint (C2SP tlog-checkpoint)")
def checkpoint(platform: PlatformDep) -> Response:
    """The signed note, with witness cosignatures, as `text/plain; charset=utf-8`; not to be
    cached (tlog-tiles asks for at most a few seconds)."""
    return Response(
        platform.ledger.checkpoint_note(),
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


@tlog_router.get("/tile/{path:path}", summary="A tile or entry bundle (C2SP tlog-tiles)")
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
