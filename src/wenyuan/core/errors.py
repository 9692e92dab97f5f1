"""The one exception tree of Wenyuan.

Every error raised above a domain's boundary is a ``WenyuanError``; library errors
(SQLAlchemy, tantivy, XML and JSON parsers) are translated where they happen.

    WenyuanError
    ├── InvalidInput (ValueError)       the caller sent something we cannot accept
    │   ├── SourceError                 a source file or record is malformed
    │   ├── PayloadTooLarge             the input is over the size limit (413)
    │   ├── HostNotAllowed              the request names a host we do not serve (400)
    │   └── UnsupportedMediaType        the body is not of a type the route reads (415)
    ├── BodyTimeout (TimeoutError)      the request body arrived too slowly (408)
    ├── NotFound (LookupError)          the thing asked for does not exist
    ├── Conflict                        the request clashes with stored state
    ├── ServerBusy                      too many requests at once; retry shortly (503)
    └── StorageError (OSError)          the database, index or disk failed

Each error carries its context as attributes; the API maps the tree to RFC 9457
problem+json in one place (``wenyuan.api.problems``) and the CLI to one line and exit code.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BodyTimeout",
    "Conflict",
    "HostNotAllowed",
    "InvalidInput",
    "NotFound",
    "PayloadTooLarge",
    "ServerBusy",
    "SourceError",
    "StorageError",
    "UnsupportedMediaType",
    "WenyuanError",
]


class WenyuanError(Exception):
    """Root of every error Wenyuan raises on purpose.

    ``title`` is a short, stable summary for the kind of problem; ``status`` is the HTTP
    status it maps to; ``detail`` is the human explanation of this occurrence.
    """

    title = "Wenyuan error"
    status = 500
    type_slug = "error"

    def __init__(self, detail: str, **context: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.context = context

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "detail": self.detail, **self.context}


class InvalidInput(WenyuanError, ValueError):
    """The input cannot be accepted as given: fix the named field or value and retry."""

    title = "Invalid input"
    status = 422
    type_slug = "invalid-input"


class SourceError(InvalidInput):
    """A source file or record is malformed.

    ``source``, ``position`` and ``reason`` say which file, where in it, and what is wrong;
    the ingest pipeline reports the record and goes on with the next one.
    """

    title = "Malformed source data"
    type_slug = "source-error"

    def __init__(self, reason: str, *, source: str = "", position: str = "") -> None:
        where = f"{source} at {position}: " if source or position else ""
        super().__init__(f"{where}{reason}", source=source, position=position, reason=reason)
        self.source = source
        self.position = position
        self.reason = reason


class PayloadTooLarge(InvalidInput):
    """The input is larger than the limit named in the message; send less."""

    title = "Payload too large"
    status = 413
    type_slug = "payload-too-large"


class HostNotAllowed(InvalidInput):
    """The request's ``Host`` names a host this server does not answer for: use the
    server's public name (operators: list it in ``WENYUAN_ALLOWED_HOSTS``)."""

    title = "Host not allowed"
    status = 400
    type_slug = "host-not-allowed"


class UnsupportedMediaType(InvalidInput):
    """The request body's ``Content-Type`` (in ``received``) is not one the route reads:
    send the body as the type named in the message."""

    title = "Unsupported media type"
    status = 415
    type_slug = "unsupported-media-type"


class BodyTimeout(WenyuanError, TimeoutError):
    """The request body did not arrive in full within the time allowed (``seconds``): send
    it again, faster or smaller."""

    title = "Request body too slow"
    status = 408
    type_slug = "body-timeout"


class ServerBusy(WenyuanError):
    """The server is reading as many request bodies as it may at once: retry after
    ``retry_after`` seconds."""

    title = "Server busy"
    status = 503
    type_slug = "server-busy"


class NotFound(WenyuanError, LookupError):
    """The thing asked for does not exist; check the identifier."""

    title = "Not found"
    status = 404
    type_slug = "not-found"


class Conflict(WenyuanError):
    """The request clashes with what is stored; reload the current state and retry."""

    title = "Conflict"
    status = 409
    type_slug = "conflict"


class StorageError(WenyuanError, OSError):
    """The database, the index or the disk failed; nothing was half-written. Retry later."""

    title = "Storage failure"
    status = 503
    type_slug = "storage-error"
