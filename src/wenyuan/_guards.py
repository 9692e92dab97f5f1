"""The guard every HTTP request passes before the application sees it.

``RequestGuard`` is a plain ASGI middleware that, from the request's headers alone, refuses

- a ``Host`` this server does not answer for (400, ``HostNotAllowed``);
- a declared ``Content-Length`` over the limit (413, ``PayloadTooLarge``), before any body
  byte is read;
- a body sent to a JSON path (``/api``) with a ``Content-Type`` other than
  ``application/json`` or ``application/*+json`` (415, ``UnsupportedMediaType``);
- a body when as many bodies are being read as allowed and no slot frees within a short
  wait (503 with ``Retry-After``, ``ServerBusy``);

and, while the application reads a body, cuts it off when it grows past the limit (413,
chunked bodies) or has not arrived in full within the body timeout (408, ``BodyTimeout``).
A client that hangs up before its body is in is logged once at info level
(``request.aborted``), gets nothing, and the application's response to the broken read is
dropped. Absolute redirects that point back at the request's own ``Host`` are rewritten to
relative ones, or onto the configured public URL, so the ``Host`` header never reaches a
``Location``.

Each refusal is the one error of ``wenyuan.core.errors`` for it, rendered by the ``render``
callable the application passes in (problem+json on API paths, an error page elsewhere),
with ``Connection: close`` whenever a body is left unread. The guard owns the response from
the moment it cuts a body off: whatever the application made of the broken read (FastAPI
turns a failed body read into a 400) is replaced by the guard's answer.

Written by hand rather than with Starlette's ``TrustedHostMiddleware`` and uvicorn's
``limit_concurrency``: those answer in plain text (our errors are problem+json), the former
offers a ``www.`` redirect we do not want and drops the port of a ``Host`` by splitting at
the first colon (which breaks IPv6 literals such as ``[::1]:8000``), the latter counts every
connection rather than the bodies being read; and neither bounds how long a body may take.
One pass over the headers serves every check.

Hazards: holds state shared by every request of the process (the count of bodies being
read, kept per event loop). The body timeout bounds the whole body, not the gap between two
chunks, so a client trickling one byte at a time is cut off too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import structlog

from wenyuan.core.errors import (
    BodyTimeout,
    HostNotAllowed,
    PayloadTooLarge,
    ServerBusy,
    UnsupportedMediaType,
    WenyuanError,
)

if TYPE_CHECKING:
    from starlette.responses import Response
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["GuardPolicy", "RequestGuard", "host_allowed", "is_json_media_type"]

log = structlog.get_logger(__name__)

_SLOT_WAIT = 1.0
"""Longest wait, in seconds, for a body slot before 503 (shorter if the body timeout is)."""

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_CLOSE = (b"connection", b"close")


@dataclass(frozen=True, slots=True)
class GuardPolicy:
    """What the guard allows; built from ``Settings`` by the application factory.

    ``allowed_hosts`` are normalised patterns (see ``Settings.allowed_hosts``);
    ``json_paths`` are path prefixes whose POST, PUT and PATCH bodies must be JSON.
    """

    allowed_hosts: tuple[str, ...]
    public_url: str | None
    max_body_bytes: int
    body_timeout: float
    max_concurrent_bodies: int
    json_paths: tuple[str, ...] = ("/api",)


def host_allowed(host: str, patterns: Sequence[str]) -> bool:
    """Whether a ``Host`` header value (with or without a port) matches one of ``patterns``:
    a name (equal, case-insensitive), ``*.name`` (any subdomain of it) or ``*`` (anything)."""
    name = _host_name(host)
    if name is None:
        return "*" in patterns
    for pattern in patterns:
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False


def _host_name(host: str) -> str | None:
    """The name in a ``Host`` value, lower case, without port, brackets or final dot;
    ``None`` when it is not a well-formed authority."""
    host = host.strip().lower()
    if host.startswith("["):  # an IPv6 literal, perhaps with a port
        literal, bracket, rest = host[1:].partition("]")
        if not bracket or (rest and not (rest.startswith(":") and rest[1:].isdigit())):
            return None
        try:
            return str(ipaddress.IPv6Address(literal))
        except ValueError:
            return None
    name, colon, port = host.partition(":")
    if (colon and not port.isdigit()) or not name:
        return None
    return name.rstrip(".")


def is_json_media_type(content_type: str) -> bool:
    """Whether a ``Content-Type`` names JSON: ``application/json`` or ``application/*+json``,
    with any parameters."""
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


Render = Callable[["Scope", WenyuanError], "Response"]
"""Turns a refusal into the response the client gets (problem+json, or an error page)."""


class _Slots:
    """The bound on bodies read at once: a semaphore per event loop (an app served by one
    server has one loop; test clients may start several)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._loop: asyncio.AbstractEventLoop | None = None
        self._semaphore = asyncio.Semaphore(size)

    def semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop = loop
            self._semaphore = asyncio.Semaphore(self.size)
        return self._semaphore


class RequestGuard:
    """ASGI middleware enforcing a ``GuardPolicy`` (see the module docstring)."""

    def __init__(self, app: ASGIApp, policy: GuardPolicy, render: Render) -> None:
        self.app = app
        self.policy = policy
        self.render = render
        self.slots = _Slots(policy.max_concurrent_bodies)
        self.slot_wait = min(_SLOT_WAIT, policy.body_timeout)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        head = _Head(scope)
        error = self._check_host(head)
        if error is None and scope["type"] == "http":
            send = self._redirects_fixed(head.host, send)
            error = self._check_body_headers(scope, head)
        if error is not None:
            await self._refuse(scope, receive, send, error)
            return
        if scope["type"] != "http" or not head.has_body:
            await self.app(scope, receive, send)  # no body: nothing more to guard
            return
        semaphore = self.slots.semaphore()
        try:
            async with asyncio.timeout(self.slot_wait):
                await semaphore.acquire()
        except TimeoutError:
            retry = max(1, round(self.slot_wait))
            busy = ServerBusy(
                f"the server is reading {self.policy.max_concurrent_bodies} request bodies "
                f"already; retry after {retry} s",
                retry_after=retry,
            )
            await self._refuse(scope, receive, send, busy)
            return
        body = _Body(self, scope, receive, send, semaphore, head.declared)
        try:
            await self.app(scope, body.receive, body.send)
        except Exception:
            if body.outcome is None:
                raise
        finally:
            body.release()
        await body.finish()

    def _check_host(self, head: _Head) -> WenyuanError | None:
        patterns = self.policy.allowed_hosts
        if "*" in patterns or host_allowed(head.host or "", patterns):
            return None
        shown = _shown(head.host) if head.host is not None else "none"
        return HostNotAllowed(f"this server does not answer for the host {shown}", host=shown)

    def _check_body_headers(self, scope: Scope, head: _Head) -> WenyuanError | None:
        """413 from a declared length over the limit; 415 for a body a JSON path cannot read."""
        limit = self.policy.max_body_bytes
        if head.declared is not None and head.declared > limit:
            return PayloadTooLarge(
                f"the request body declares {head.declared:,} bytes; at most {limit:,} "
                "are accepted",
                declared=head.declared,
                limit=limit,
            )
        method, path = scope["method"], scope["path"]
        if (
            head.has_body
            and method in _BODY_METHODS
            and _under(path, self.policy.json_paths)
            and (head.content_type is None or not is_json_media_type(head.content_type))
        ):
            received = _shown(head.content_type) if head.content_type is not None else "none"
            return UnsupportedMediaType(
                f"the body of {method} {path} must be application/json; "
                f"the request's Content-Type is {received}",
                received=received,
            )
        return None

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, error: WenyuanError
    ) -> None:
        """Answer ``error`` in the application's error shape, logged at info level; the
        connection is closed after it, as a body may be left unread."""
        log.info(
            "request.refused",
            status=error.status,
            reason=error.type_slug,
            method=scope.get("method", ""),
            path=scope.get("path", ""),
        )
        response = self.render(scope, error)
        if isinstance(error, ServerBusy):
            response.headers["Retry-After"] = str(error.context["retry_after"])
        response.headers["Connection"] = "close"
        await response(scope, receive, send)

    def _redirects_fixed(self, host: str | None, send: Send) -> Send:
        """``send``, with absolute redirects back to the request's own host made relative
        (or moved onto the public URL)."""
        own = (host or "").lower()
        public = self.policy.public_url

        async def send_fixed(message: Message) -> None:
            if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
                headers = list(message.get("headers", ()))
                for i, (name, value) in enumerate(headers):
                    if name.lower() == b"location":
                        target = urlsplit(value.decode("latin-1"))
                        if target.netloc and target.netloc.lower() == own:
                            local = target.path or "/"
                            if target.query:
                                local += "?" + target.query
                            fixed = (public or "") + local
                            headers[i] = (name, fixed.encode("latin-1"))
                message = {**message, "headers": headers}
            await send(message)

        return send_fixed


class _Head:
    """The headers the guard reads, found in one pass."""

    __slots__ = ("chunked", "content_type", "declared", "host")

    def __init__(self, scope: Scope) -> None:
        self.host: str | None = None
        self.content_type: str | None = None
        self.declared: int | None = None
        self.chunked = False
        for name, value in scope["headers"]:
            if name == b"host":
                self.host = value.decode("latin-1")
            elif name == b"content-length":
                self.declared = int(value) if value.isdigit() else None
            elif name == b"transfer-encoding":
                self.chunked = True
            elif name == b"content-type":
                self.content_type = value.decode("latin-1")

    @property
    def has_body(self) -> bool:
        return self.chunked or bool(self.declared)


class _Body:
    """One guarded body read: its slot, its deadline, and how it ended.

    ``outcome`` is ``None`` while the read goes well; a ``WenyuanError`` once the guard
    cut the body off (the guard then answers it); ``"aborted"`` once the client hung up
    before the body was in (nothing is answered).
    """

    def __init__(
        self,
        guard: RequestGuard,
        scope: Scope,
        receive: Receive,
        send: Send,
        semaphore: asyncio.Semaphore,
        declared: int | None,
    ) -> None:
        self.guard = guard
        self.scope = scope
        self._receive = receive
        self._send = send
        self.semaphore = semaphore
        self.declared = declared
        self.limit = guard.policy.max_body_bytes
        self.timeout = guard.policy.body_timeout
        self.deadline = asyncio.get_running_loop().time() + self.timeout
        self.started = time.monotonic()
        self.received = 0
        self.complete = False
        self.holding = True
        self.response_started = False
        self.outcome: WenyuanError | str | None = None

    def release(self) -> None:
        if self.holding:
            self.holding = False
            self.semaphore.release()

    async def receive(self) -> Message:
        if self.complete or self.outcome is not None:
            return await self._receive()
        try:
            async with asyncio.timeout_at(self.deadline):
                message = await self._receive()
        except TimeoutError:
            raise self._cut(
                BodyTimeout(
                    f"the request body did not arrive within {self.timeout:g} s "
                    f"({self.received:,} bytes came)",
                    seconds=self.timeout,
                    received=self.received,
                )
            ) from None
        if message["type"] == "http.disconnect":
            self.release()
            if not self.response_started:
                self.outcome = "aborted"
            return message
        self.received += len(message.get("body", b""))
        if self.received > self.limit:
            raise self._cut(
                PayloadTooLarge(
                    f"the request body passed {self.limit:,} bytes, the most accepted",
                    limit=self.limit,
                )
            )
        if not message.get("more_body", False):
            self.complete = True
            self.release()
        return message

    def _cut(self, error: WenyuanError) -> WenyuanError:
        """Stop reading: free the slot and, unless a response has begun, own the answer."""
        self.release()
        if not self.response_started:
            self.outcome = error
        return error

    async def send(self, message: Message) -> None:
        if self.outcome is not None:
            return  # the guard answers (or the client is gone)
        if message["type"] == "http.response.start":
            self.response_started = True
        await self._send(message)

    async def finish(self) -> None:
        """After the application: answer a cut-off body, or log an aborted one."""
        if self.outcome == "aborted":
            log.info(
                "request.aborted",
                method=self.scope["method"],
                path=self.scope["path"],
                received=self.received,
                declared=self.declared,
                seconds=round(time.monotonic() - self.started, 3),
            )
        elif isinstance(self.outcome, WenyuanError):
            await self.guard._refuse(self.scope, self._receive, self._send, self.outcome)


def _under(path: str, prefixes: Sequence[str]) -> bool:
    return any(path == p or path.startswith(p + "/") for p in prefixes)


def _shown(value: str) -> str:
    """A header value fit to echo in an error: printable ASCII, at most 100 characters."""
    cleaned = "".join(c if " " <= c <= "~" else "?" for c in value)
    return cleaned[:100] + ("…" if len(cleaned) > 100 else "")
