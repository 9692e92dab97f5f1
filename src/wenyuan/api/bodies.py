"""Request bodies read with a route's own limit, refused with the one 413 (``PayloadTooLarge``).

The server-wide limit, the body timeout and the bound on bodies read at once are the guard's
(``wenyuan._guards``), for every request; a route that accepts less than the server-wide limit
(a ledger statement, a witness's add-checkpoint) reads its body with ``read_body``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wenyuan.core.errors import PayloadTooLarge

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = ["read_body"]


async def read_body(request: Request, limit: int, *, what: str = "the request body") -> bytes:
    """The body of ``request``, refused with ``PayloadTooLarge`` past ``limit`` bytes.

    A declared ``Content-Length`` over the limit is refused before any byte is read; a body
    without one (chunked) is cut off as soon as it grows past the limit, so it is never held
    whole. ``what`` names the body in the error (``"a statement leaf"``).
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            f"{what} may hold at most {limit:,} bytes; the body declares {int(declared):,}",
            limit=limit,
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"{what} may hold at most {limit:,} bytes", limit=limit)
    return bytes(body)
