"""Witnesses over HTTP (c2sp.org/tlog-witness), from the log's side: the client a log asks.

``HTTPWitness`` is how a log asks a remote witness to cosign: it POSTs the add-checkpoint
body to ``URL/add-checkpoint`` and turns the answer into what ``Checkpointer`` expects (the
cosignature lines; ``SizeMismatch`` with the witness's size on a 409; a ``WitnessRefused``
or ``WitnessUnavailable`` otherwise). The witness itself, and its loading from files, is
``wenyuan.ledger._witness``; the app that serves it, ``wenyuan.api.witness``.

Hazards: the witness is another party. Its answers are read with a size cap, redirects are
followed only to the same scheme, host and port (and only 307/308, which keep the body),
compressed answers are refused rather than inflated, and every line it returns is checked
as a note signature line before the log stores it. Without a ``verifier`` the lines are not
checked cryptographically: pass the witness's cosignature verifier whenever its vkey is
known, or a witness can count towards a quorum with garbage.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from types import TracebackType

import httpx

from wenyuan.core.errors import Conflict, InvalidInput, StorageError
from wenyuan.ledger._note import (
    MAX_SIGNATURES,
    Checkpoint,
    CosignatureVerifier,
    NoteError,
    Signature,
    split_note,
)
from wenyuan.ledger._witness import (
    TLOG_SIZE_MEDIA_TYPE,
    SizeMismatch,
    format_add_checkpoint_request,
)

__all__ = [
    "MAX_REDIRECTS",
    "MAX_RESPONSE_BYTES",
    "HTTPWitness",
    "WitnessProtocolError",
    "WitnessRefused",
    "WitnessUnavailable",
]

MAX_RESPONSE_BYTES = 64 * 1024
"""Largest answer read from a witness; a few cosignature lines are a few hundred bytes."""
MAX_REDIRECTS = 3
"""Most same-origin 307/308 redirects followed for one add-checkpoint request."""

_SIZE_BODY = re.compile(rb"(0|[1-9][0-9]{0,19})\n")
_MAX_MESSAGE = 300  # characters of a witness's refusal quoted in an error
_Broken = Callable[[str], "WitnessProtocolError"]


# -- errors ---------------------------------------------------------------------------------


class WitnessRefused(Conflict):
    """The witness answered add-checkpoint with a refusal (400, 403, 404, 422 or another 4xx).

    Nothing was cosigned. ``status_code`` is the witness's HTTP status and ``message`` what
    it said. 404: the witness does not follow this origin; 403: it does not trust the key
    that signed the checkpoint (give its operator the log's vkey). 422: the checkpoint does
    not follow from what the witness cosigned before (a fork or a rolled-back log): stop and
    investigate; the witness keeps the evidence. 400: a bug in the request; report it.
    """

    title = "Witness refused the checkpoint"
    type_slug = "witness-refused"

    def __init__(self, detail: str, *, witness: str, status_code: int, message: str) -> None:
        super().__init__(detail, witness=witness, status_code=status_code, message=message)
        self.witness = witness
        self.status_code = status_code
        self.message = message


class WitnessUnavailable(StorageError):
    """The witness could not be reached, timed out, or failed (5xx); nothing was cosigned.

    The checkpointer goes on without it. Check the witness's URL and health, and retry later.
    """

    title = "Witness unavailable"
    type_slug = "witness-unavailable"


class WitnessProtocolError(WitnessUnavailable):
    """The witness answered, but not as c2sp.org/tlog-witness says; its answer was not used.

    A cosignature that is not a note signature line (or, with a verifier, does not verify),
    a 409 without a ``text/x.tlog.size`` body, a redirect to another host, an answer over
    ``MAX_RESPONSE_BYTES``. Check the URL points at a witness, and tell its operator.
    """

    title = "Witness answer breaks the protocol"
    type_slug = "witness-protocol-error"


# -- the client -----------------------------------------------------------------------------


def _check_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise InvalidInput(f"the witness URL {url!r} is not a URL: {exc}", url=url) from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InvalidInput(f"the witness URL {url!r} is not an http(s) URL with a host", url=url)
    if parsed.query or parsed.fragment:
        raise InvalidInput(f"the witness URL {url!r} must not carry a query or fragment", url=url)
    return parsed


def _same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


def _media_type(content_type: str) -> str:
    return content_type.partition(";")[0].strip().lower()


def _quote_message(content_type: str, content: bytes) -> str:
    """What the witness said, for an error message: problem detail or text, one short line."""
    text = content.decode("utf-8", errors="replace")
    if _media_type(content_type) in ("application/problem+json", "application/json"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("detail"), str):
            text = data["detail"]
    text = "".join(char for char in " ".join(text.split()) if char.isprintable())
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "…"


def _origin_of(note: str) -> str:
    try:
        return Checkpoint.parse(split_note(note)[0]).origin
    except NoteError:
        return ""


class HTTPWitness:
    """A c2sp.org/tlog-witness witness at ``url`` (its submission prefix), for a ``Checkpointer``.

    ``name`` identifies the witness to the checkpointer (use its key name). ``verifier``, the
    witness's cosignature verifier, makes ``add_checkpoint`` return only lines that verify
    under that key. ``transport`` replaces the network (tests, proxies). Keeps one connection
    pool (HTTP keep-alive, as the spec recommends): ``close`` it, or use it as a context manager.
    """

    def __init__(
        self,
        name: str,
        url: str,
        *,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
        verifier: CosignatureVerifier | None = None,
    ) -> None:
        self.name = name
        self.url = str(_check_url(url)).rstrip("/")
        self.timeout = timeout
        self.verifier = verifier
        self._endpoint = httpx.URL(self.url + "/add-checkpoint")
        self._client = httpx.Client(
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            trust_env=False,
            headers={"Accept-Encoding": "identity", "User-Agent": "wenyuan-ledger"},
        )

    def __repr__(self) -> str:
        return f"HTTPWitness(name={self.name!r}, url={self.url!r})"

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HTTPWitness:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def add_checkpoint(
        self, old_size: int, consistency_proof: Sequence[bytes], checkpoint_note: str
    ) -> str:
        """Ask the witness to cosign ``checkpoint_note``; return its cosignature line(s).

        Raise ``SizeMismatch`` (``.size``: the witness's size) on a 409, so the caller can
        retry with a proof from that size; ``WitnessRefused`` on another 4xx;
        ``WitnessUnavailable`` if the witness cannot be reached, times out or fails;
        ``WitnessProtocolError`` if its answer breaks the protocol; ``MalformedRequest`` if
        the arguments cannot form a request.
        """
        body = format_add_checkpoint_request(old_size, consistency_proof, checkpoint_note)
        status, content_type, content = self._post(body)
        if status == 200:
            return self._cosignatures(checkpoint_note, content)
        if status == 409:
            raise self._size_mismatch(old_size, checkpoint_note, content_type, content)
        message = _quote_message(content_type, content)
        if 400 <= status < 500:
            raise WitnessRefused(
                f"witness {self.name} refused the checkpoint with {status}: {message}",
                witness=self.name,
                status_code=status,
                message=message,
            )
        raise WitnessUnavailable(
            f"witness {self.name} at {self.url} answered {status}: {message}",
            witness=self.name,
            status_code=status,
        )

    # -- the exchange -------------------------------------------------------------------------

    def _post(self, body: bytes) -> tuple[int, str, bytes]:
        """POST ``body``, following same-origin 307/308 only; (status, content type, body)."""
        url = self._endpoint
        for _ in range(MAX_REDIRECTS + 1):
            try:
                with self._client.stream("POST", url, content=body) as response:
                    if not response.is_redirect:
                        content = self._read_capped(response)
                        return (
                            response.status_code,
                            response.headers.get("content-type", ""),
                            content,
                        )
                    url = self._redirect_target(url, response)
            except httpx.TimeoutException as exc:
                raise WitnessUnavailable(
                    f"witness {self.name} at {self.url} did not answer within {self.timeout} s",
                    witness=self.name,
                ) from exc
            except httpx.HTTPError as exc:
                raise WitnessUnavailable(
                    f"witness {self.name} at {self.url} cannot be reached: {exc}",
                    witness=self.name,
                ) from exc
        raise WitnessProtocolError(
            f"witness {self.name} at {self.url} redirected more than {MAX_REDIRECTS} times",
            witness=self.name,
        )

    def _redirect_target(self, url: httpx.URL, response: httpx.Response) -> httpx.URL:
        location = response.headers.get("location", "")
        try:
            target = url.join(location)
        except httpx.InvalidURL as exc:
            raise WitnessProtocolError(
                f"witness {self.name} redirected to an invalid URL", witness=self.name
            ) from exc
        if response.status_code not in (307, 308):
            raise WitnessProtocolError(
                f"witness {self.name} answered {response.status_code} (a redirect that drops "
                "the request body); point the URL at the witness's submission prefix",
                witness=self.name,
            )
        if not _same_origin(target, self._endpoint):
            raise WitnessProtocolError(
                f"witness {self.name} at {self.url} redirected to another origin "
                f"({target.scheme}://{target.host}:{target.port}); not followed",
                witness=self.name,
            )
        return target

    def _read_capped(self, response: httpx.Response) -> bytes:
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise WitnessProtocolError(
                f"witness {self.name} sent a {encoding!r}-encoded answer; only identity is read",
                witness=self.name,
            )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
            raise self._too_large()
        content = bytearray()
        for chunk in response.iter_bytes():  # no decoding happens: identity was checked above
            content += chunk
            if len(content) > MAX_RESPONSE_BYTES:
                raise self._too_large()
        return bytes(content)

    def _too_large(self) -> WitnessProtocolError:
        return WitnessProtocolError(
            f"witness {self.name} sent more than {MAX_RESPONSE_BYTES} bytes; answer discarded",
            witness=self.name,
        )

    # -- reading answers ----------------------------------------------------------------------

    def _cosignatures(self, checkpoint_note: str, content: bytes) -> str:
        """The 200 body checked: note signature lines, each ending in a newline."""

        def broken(why: str) -> WitnessProtocolError:
            return WitnessProtocolError(
                f"witness {self.name} answered 200 but {why}", witness=self.name
            )

        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise broken(f"its body is not UTF-8 at byte {exc.start}") from exc
        if not text.endswith("\n"):
            raise broken("its body is not newline-terminated signature lines")
        lines = text[:-1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise broken(f"with {len(lines)} lines; at most {MAX_SIGNATURES} are read")
        signatures: list[Signature] = []
        for number, line in enumerate(lines, start=1):
            try:
                signatures.append(Signature.parse_line(line, number=number))
            except NoteError as exc:
                raise broken(f"its body is not note signature lines: {exc.detail}") from exc
        if self.verifier is not None:
            lines = self._verified(checkpoint_note, lines, signatures, broken)
        return "".join(line + "\n" for line in lines)

    def _verified(
        self,
        checkpoint_note: str,
        lines: list[str],
        signatures: list[Signature],
        broken: _Broken,
    ) -> list[str]:
        """The lines signed by ``self.verifier``'s key, each verified; others are ignored."""
        verifier = self.verifier
        assert verifier is not None
        text = split_note(checkpoint_note)[0]
        mine = [
            line
            for line, signature in zip(lines, signatures, strict=True)
            if (signature.name, signature.key_id) == (verifier.name, verifier.key_id)
        ]
        if not mine:
            raise broken(f"with no cosignature from {verifier.name}+{verifier.key_id:08x}")
        for line in mine:
            try:
                timestamp = verifier.verify_line(text, line)
            except NoteError as exc:
                raise broken(f"its cosignature does not verify: {exc.detail}") from exc
            if timestamp == 0:
                raise broken("its cosignature has the timestamp 0, which the spec forbids")
        return mine

    def _size_mismatch(
        self, old_size: int, checkpoint_note: str, content_type: str, content: bytes
    ) -> SizeMismatch:
        if _media_type(content_type) != TLOG_SIZE_MEDIA_TYPE:
            raise WitnessProtocolError(
                f"witness {self.name} answered 409 with Content-Type {content_type!r}, "
                f"not {TLOG_SIZE_MEDIA_TYPE}",
                witness=self.name,
            )
        match = _SIZE_BODY.fullmatch(content)
        if match is None or int(match.group(1)) >= 2**64:
            raise WitnessProtocolError(
                f"witness {self.name} answered 409 without a tree size and a newline",
                witness=self.name,
            )
        size = int(match.group(1))
        origin = _origin_of(checkpoint_note)
        return SizeMismatch(
            f"witness {self.name} last cosigned {origin!r} at size {size}, not {old_size}",
            size=size,
            origin=origin,
        )
