"""``wenyuan ledger …``, ``wenyuan keys …`` and ``wenyuan verify``: the trust ledger's commands.

Statements are signed here, on the party's machine, with the party's key file; the ledger
only ever sees the signed leaf. ``--server URL`` sends them to a running Wenyuan; without it
the command opens the data folder's ledger for writing itself (which a running server holds:
then the command says to use ``--server``). The commands that only read (``status``,
``mirror``, ``replay``, ``public-key``) run beside a server. Every command calls the ledger
service (``platform.ledger``) and prints the value it returns.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from wenyuan.cli.main import _fail, _platform, _print_json, err, out
from wenyuan.core.errors import InvalidInput, WenyuanError
from wenyuan.ledger import (
    STEPS,
    PendingReceipt,
    Receipt,
    ReplayFlagged,
    SignedStatement,
    VerificationError,
    encode_leaf,
    generate_key,
    load_signer,
    load_verifier,
    make_grant_licence,
    make_register,
    make_revoke,
    make_transfer,
    statement_hash,
    verify_receipt,
)

__all__ = ["keys_app", "ledger_app", "verify"]

ledger_app = typer.Typer(
    help="The trust ledger: register assets, receipts, replay.", no_args_is_help=True
)
keys_app = typer.Typer(help="Ed25519 keys for parties, logs and witnesses.", no_args_is_help=True)

ServerOpt = Annotated[
    str | None,
    typer.Option(
        "--server", help="Send to a running Wenyuan at this URL (e.g. http://127.0.0.1:8000)."
    ),
]
KeyOpt = Annotated[
    Path, typer.Option("--key", help="Your private key file (from `wenyuan keys new`).")
]
WaitOpt = Annotated[float, typer.Option(help="Seconds to wait for the checkpoint that covers it.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the receipt bundle as JSON.")]


# -- keys -----------------------------------------------------------------------------------


@keys_app.command("new")
def keys_new(
    path: Annotated[
        Path, typer.Argument(help="Where to write the private key (PATH.pub: public).")
    ],
    name: Annotated[
        str, typer.Option(help="The key's name (a log's origin, a witness's name).")
    ] = "",
) -> None:
    """Create an Ed25519 key: the private key at PATH (mode 0600), the public key at PATH.pub.

    Example: wenyuan keys new ~/.wenyuan/me.key --name museum.example/alice
    """
    try:
        vkey = generate_key(path, name or path.stem)
    except WenyuanError as exc:
        _fail(exc)
    err.print(f"Private key: {path} (mode 0600, keep it secret)\nPublic key:  {path}.pub")
    sys.stdout.write(vkey + "\n")  # not through rich: a key must never be wrapped


# -- submitting -----------------------------------------------------------------------------


def _submit(leaf: bytes, server: str | None, wait: float) -> Receipt | PendingReceipt:
    """Send a signed leaf; its receipt, or where to fetch it if not ready yet."""
    if server:
        url = server.rstrip("/") + "/api/ledger/statements"
        try:
            response = httpx.post(
                url,
                content=leaf,
                params={"wait": wait},
                headers={"content-type": "application/json"},
                timeout=wait + 30,
            )
        except httpx.HTTPError as exc:
            raise InvalidInput(f"cannot reach {url}: {exc}") from exc
        if response.status_code in (201, 202):
            try:
                body = response.json()
            except ValueError as exc:
                raise InvalidInput(f"{url} answered {response.status_code} without JSON") from exc
            if response.status_code == 201:
                return Receipt.from_json(body)
            return PendingReceipt.from_json(body)
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise InvalidInput(f"the ledger refused the statement ({response.status_code}): {detail}")
    with _platform() as platform:
        platform.ledger.open()
        return platform.ledger.append(leaf, wait=wait)


def _report(result: Receipt | PendingReceipt, as_json: bool) -> None:
    if as_json:
        _print_json(result.to_json())
        return
    if isinstance(result, PendingReceipt):
        out.print(
            f"Appended as entry {result.leaf_index}; the receipt is not ready yet: "
            f"fetch {result.receipt} later."
        )
        return
    out.print(
        f"{result.statement['kind']} accepted: entry {result.leaf_index} of {result.origin}, "
        f"in the signed tree of {result.tree_size} entries. Keep the receipt (--json).",
        highlight=False,
    )


@ledger_app.command("register")
def register(
    file: Annotated[
        Path,
        typer.Argument(help="The file whose content you register.", exists=True, dir_okay=False),
    ],
    key: KeyOpt,
    title: Annotated[str, typer.Option(help="The work's title.")],
    creator: Annotated[list[str] | None, typer.Option(help="A creator (repeatable).")] = None,
    media_type: Annotated[
        str | None, typer.Option(help="Media type (default: from the file name).")
    ] = None,
    iscc: Annotated[str | None, typer.Option(help="The content's ISCC code, if known.")] = None,
    description: Annotated[str | None, typer.Option(help="A short description.")] = None,
    server: ServerOpt = None,
    wait: WaitOpt = 10.0,
    as_json: JsonOpt = False,
) -> None:
    """Register a file's content (its SHA-256) as an asset you own, and print the receipt.

    Example: wenyuan ledger register scan.tif --key me.key --title 千里江山图 --json
    """
    try:
        signer = load_signer(key)
        digest = hashlib.sha256()
        with file.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        guessed = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        signed = make_register(
            signer.ed25519_private_key(),
            content_sha256=digest.hexdigest(),
            media_type=media_type or guessed,
            title=title,
            creators=creator or [],
            iscc=iscc,
            description=description,
        )
        bundle = _submit(encode_leaf(signed), server, wait)
    except WenyuanError as exc:
        _fail(exc)
    _report(bundle, as_json)


def _asset_head(asset: str, server: str | None) -> str:
    if server:
        response = httpx.get(server.rstrip("/") + f"/api/ledger/assets/{asset}", timeout=30)
        if response.status_code != 200:
            raise InvalidInput(f"no asset {asset!r} at {server} ({response.status_code})")
        return str(response.json()["state"]["head"])
    with _platform() as platform:
        return platform.ledger.asset(asset).head  # only reads: no writer lock


def _follow_up(
    make: Callable[..., SignedStatement],
    asset: str,
    key: Path,
    server: str | None,
    wait: float,
    **fields: Any,
) -> tuple[bytes, Receipt | PendingReceipt]:
    """Sign a statement about ``asset`` made from its current head, and submit it; returns
    the leaf and the receipt (or pending answer). Exits with one line on any error."""
    try:
        signer = load_signer(key)
        prev = _asset_head(asset, server)
        leaf = encode_leaf(make(signer.ed25519_private_key(), asset=asset, prev=prev, **fields))
        return leaf, _submit(leaf, server, wait)
    except WenyuanError as exc:
        _fail(exc)


@ledger_app.command("transfer")
def transfer(
    asset: Annotated[str, typer.Argument(help="The asset id (sha256:…).")],
    key: KeyOpt,
    to: Annotated[str, typer.Option(help="The new owner's public key (base64) or a .pub file.")],
    server: ServerOpt = None,
    wait: WaitOpt = 10.0,
    as_json: JsonOpt = False,
) -> None:
    """Transfer an asset you own to another key, and print the receipt.

    Example: wenyuan ledger transfer sha256:… --key me.key --to buyer.key.pub
    """
    try:
        new_owner = _public_key(to)
    except WenyuanError as exc:
        _fail(exc)
    _, bundle = _follow_up(make_transfer, asset, key, server, wait, to=new_owner)
    _report(bundle, as_json)


def _public_key(value: str) -> str:
    """A party's public key as statements name it (base64), from itself or a .pub file."""
    if Path(value).is_file():
        return base64.b64encode(load_verifier(Path(value)).public_key).decode()
    return value


@ledger_app.command("grant-licence")
def grant_licence(
    asset: Annotated[str, typer.Argument(help="The asset id (sha256:…).")],
    key: KeyOpt,
    to: Annotated[str, typer.Option(help="The licensee's public key (base64) or a .pub file.")],
    terms: Annotated[str, typer.Option(help="The licence: an SPDX id or a licence URL.")],
    expires: Annotated[
        datetime | None, typer.Option(help="When it ends (UTC, e.g. 2030-12-31T00:00:00).")
    ] = None,
    server: ServerOpt = None,
    wait: WaitOpt = 10.0,
    as_json: JsonOpt = False,
) -> None:
    """Grant a licence on an asset you own; its id is the SHA-256 of the statement's leaf.

    Example: wenyuan ledger grant-licence sha256:… --key me.key --to press.key.pub --terms CC-BY-4.0
    """
    try:
        licensee = _public_key(to)
    except WenyuanError as exc:
        _fail(exc)
    leaf, bundle = _follow_up(
        make_grant_licence,
        asset,
        key,
        server,
        wait,
        licensee=licensee,
        terms=terms,
        expires=None if expires is None else expires.replace(tzinfo=UTC),
    )
    if not as_json:
        out.print(f"Licence id: {statement_hash(leaf)}", highlight=False)
    _report(bundle, as_json)


@ledger_app.command("revoke")
def revoke(
    asset: Annotated[str, typer.Argument(help="The asset id (sha256:…).")],
    key: KeyOpt,
    licence: Annotated[str, typer.Option(help="The licence id (from grant-licence).")],
    server: ServerOpt = None,
    wait: WaitOpt = 10.0,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a licence granted on an asset you own.

    Example: wenyuan ledger revoke sha256:… --key me.key --licence 3f2a…
    """
    _, bundle = _follow_up(make_revoke, asset, key, server, wait, licence=licence)
    _report(bundle, as_json)


# -- the log --------------------------------------------------------------------------------


@ledger_app.command("public-key")
def public_key() -> None:
    """Print the log's verifier key (C2SP note vkey), for `wenyuan verify --log-key`.

    Example: wenyuan ledger public-key > log.vkey
    """
    try:
        with _platform() as platform:
            vkey = platform.ledger.public_key()
    except WenyuanError as exc:
        _fail(exc)
    sys.stdout.write(vkey + "\n")


@ledger_app.command("rotate")
def rotate(
    new_origin: Annotated[
        str, typer.Option("--new-origin", help="The new log's origin (and key name).")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Rotate the log key: end the log with a hand-over signed by its key, naming a new log.

    The new key is written beside the first (mode 0600); the hand-over's receipt, verified
    with the old key, tells every client the new one. Stop the server first.
    Example: wenyuan ledger rotate --new-origin museum.example/ledger/2 --json
    """
    try:
        with _platform() as platform:
            platform.ledger.open()
            rotation = platform.ledger.rotate(new_origin)
    except WenyuanError as exc:
        _fail(exc)
    receipt = rotation.receipt
    if as_json:
        if isinstance(receipt, PendingReceipt):
            _print_json(
                {
                    "format": "pending",
                    "origin": rotation.origin,
                    "leaf_index": receipt.leaf_index,
                    "detail": "the hand-over is in the log; its checkpoint lacks the quorum",
                }
            )
        else:
            _print_json(receipt.to_json())
        return
    late = "" if isinstance(receipt, Receipt) else " (its receipt waits for the witnesses' quorum)"
    out.print(
        f"Handed over at entry {receipt.leaf_index} of {rotation.origin}{late}; statements "
        f"now go to {new_origin}.",
        highlight=False,
    )
    sys.stdout.write(rotation.vkey + "\n")


@ledger_app.command("replay")
def replay(
    as_json: Annotated[bool, typer.Option("--json", help="Print every state as JSON.")] = False,
) -> None:
    """Recompute every asset's state from the log alone and compare with the registry.

    Runs beside a running server (it only reads). Exit status 1 if they differ.
    Example: wenyuan ledger replay --json
    """
    try:
        with _platform() as platform:
            state = platform.ledger.replay()
    except ReplayFlagged as exc:
        if as_json:
            _print_json({**exc.state.to_json(), "differ": exc.differ})
        else:
            for entry in exc.entries:
                err.print(
                    f"flagged: leaf {entry.index} ({entry.leaf_hash}): {entry.reason}",
                    highlight=False,
                    markup=False,
                )
            if exc.differ:
                err.print(
                    f"{len(exc.differ)} asset states in the registry follow from flagged "
                    f"entries: {', '.join(exc.differ[:20])}",
                    highlight=False,
                    markup=False,
                )
        _fail(exc)
    except WenyuanError as exc:
        _fail(exc)
    if as_json:
        _print_json(state.to_json())
    else:
        out.print(
            f"Replayed {state.size:,} entries: {len(state):,} assets, identical to the registry."
        )


@ledger_app.command("mirror")
def mirror(
    directory: Annotated[Path, typer.Argument(help="Folder a web server serves as …/ledger/.")],
) -> None:
    """Write the newest checkpoint and every tile (C2SP tlog-tiles) to a folder.

    Full tiles already there are kept (they never change); run it again to bring the mirror
    up to date. Only reads, so it runs beside a server.
    Example: wenyuan ledger mirror /var/www/ledger
    """
    try:
        with _platform() as platform:
            mirrored = platform.ledger.mirror(directory)
    except WenyuanError as exc:
        _fail(exc)
    out.print(
        f"Mirrored the tree of {mirrored.size:,} entries: {len(mirrored.written):,} files written."
    )


@ledger_app.command("status")
def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The log's size, newest checkpoint, witnesses and quorum (only reads: runs beside a
    server).

    Example: wenyuan ledger status
    """
    try:
        with _platform() as platform:
            summary = platform.ledger.status()
    except WenyuanError as exc:
        _fail(exc)
    if as_json:
        _print_json(summary.to_json())
    else:
        trusted = summary.checkpoint.size if summary.checkpoint is not None else 0
        out.print(
            f"{summary.origin}: {summary.size:,} entries; trusted checkpoint size "
            f"{trusted:,}; quorum {summary.quorum} of {len(summary.witnesses)} witnesses",
            highlight=False,
        )


# -- verify ---------------------------------------------------------------------------------


def _key_text(value: str) -> str:
    path = Path(value)
    if path.is_file():
        return path.read_text("utf-8").strip()
    return value.strip()


def verify(
    bundle: Annotated[Path, typer.Argument(help="A receipt bundle (JSON file), or - for stdin.")],
    log_key: Annotated[
        str, typer.Option("--log-key", help="The log's vkey, or a file holding it.")
    ],
    witness_key: Annotated[
        list[str] | None,
        typer.Option("--witness-key", help="A trusted witness's vkey or file (repeatable)."),
    ] = None,
    quorum: Annotated[int, typer.Option(help="Witness cosignatures required.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Verify a receipt offline, step by step: no network is used.

    Example: wenyuan verify receipt.json --log-key log.vkey --witness-key w1.pub --quorum 1
    """
    try:
        data = sys.stdin.read() if str(bundle) == "-" else bundle.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        err.print(f"[red]error:[/red] cannot read {bundle}: {exc}", highlight=False)
        raise typer.Exit(1) from exc
    try:
        result = verify_receipt(
            data,
            _key_text(log_key),
            witness_keys=[_key_text(k) for k in witness_key or []],
            quorum=quorum,
        )
    except VerificationError as exc:
        if as_json:
            _print_json({"verified": False, "step": exc.step, "reason": exc.reason})
        else:
            for number, step in enumerate(STEPS[: exc.step - 1], start=1):
                out.print(f"  ✓ {number}. {step}")
            out.print(f"  ✗ {exc.step}. {STEPS[exc.step - 1]}: {exc.reason}", highlight=False)
        raise typer.Exit(1) from exc
    if as_json:
        _print_json(
            {
                "verified": True,
                "origin": result.origin,
                "leaf_index": result.leaf_index,
                "tree_size": result.tree_size,
                "witnesses": list(result.witnesses),
                "issued_at": result.statement.get("issued_at"),
                "cosigned_at": _utc(result.cosigned_at),
                "statement": result.statement,
                "steps": list(STEPS),
            }
        )
        return
    for number, step in enumerate(STEPS, start=1):
        out.print(f"  ✓ {number}. {step}")
    out.print(
        f"Verified: entry {result.leaf_index} of {result.origin} (tree of {result.tree_size}), "
        f"{result.statement.get('kind')} by {result.issuer}, cosigned by "
        f"{', '.join(result.witnesses) or 'no witness'}.",
        highlight=False,
    )
    logged = _utc(result.cosigned_at)
    out.print(
        f"Issued at {result.statement.get('issued_at')} (the issuer's claim); "
        + (
            f"in the log by {logged} (the earliest witness cosignature)."
            if logged
            else "no witness cosignature dates the log's checkpoint."
        ),
        highlight=False,
    )


def _utc(seconds: int | None) -> str | None:
    """Unix seconds as an RFC 3339 UTC time, as statements write times."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def register_commands(app: typer.Typer) -> None:
    """Add the ledger's command groups to the ``wenyuan`` command."""
    from wenyuan.cli.witness import witness

    ledger_app.command("witness")(witness)
    app.add_typer(ledger_app, name="ledger")
    app.add_typer(keys_app, name="keys")
    app.command("verify")(verify)
