"""The trust ledger's pages: the ledger (size, checkpoint, growth, assets) and one asset.

Both pages render from typed contexts and work without JavaScript. The asset page alone
loads ``/static/verify.js``, which fetches an entry's receipt from the JSON API and checks it
in the browser; the page hands it the verifier key of each log of the hand-over chain (a row
is checked against the key of the log its entry is in), the witnesses' cosignature keys with
the quorum, and the step texts in the reader's language (``verify_messages``), so the script
holds no words of its own.

Hazard: the asset page's verify button trusts the keys *this page* shows. That proves the
receipt is consistent with the keys the museum publishes here, not that they are the right
ones: a reader who wants more compares the vkeys with ones obtained elsewhere (the log's,
and each witness's from the witness itself).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from wenyuan.app import AssetPage, LedgerKeys
from wenyuan.core.errors import NotFound
from wenyuan.ledger import (
    AssetHistory,
    AssetState,
    ChainLink,
    LedgerSummary,
    StoredCheckpoint,
    receipt_path,
)
from wenyuan.web.i18n import translate
from wenyuan.web.pages import LangDep, PlatformDep, _render

__all__ = [
    "VERIFY_KEYS",
    "AssetContext",
    "AssetRow",
    "Bar",
    "CheckpointRow",
    "HistoryRow",
    "LedgerContext",
    "LicenceRow",
    "asset_context",
    "growth_bars",
    "ledger_context",
    "log_chain",
    "receipt_url",
    "router",
    "short_key",
    "verify_messages",
]

router = APIRouter(include_in_schema=False)
_PAGE_SIZE = 50
_CHART_WIDTH = 600
_CHART_HEIGHT = 120
_MIN_SLOTS = 12
_ASSET_ID = re.compile(r"sha256:[0-9a-f]{64}")
_CURSOR = re.compile(r"[ -~]{1,80}")

#: The i18n keys verify.js uses: step names (``verify_step_1`` … ``_7``), states and reasons.
VERIFY_KEYS = (
    *(f"verify_step_{n}" for n in range(1, 8)),
    "verify_button",
    "verify_running",
    "verify_ok",
    "verify_failed",
    "verify_no_quorum",
    "verify_witnesses_ok",
    "verify_r_fetch",
    "verify_r_json",
    "verify_r_field",
    "verify_r_format",
    "verify_r_index",
    "verify_r_base64",
    "verify_r_vkey",
    "verify_r_note",
    "verify_r_unsigned",
    "verify_r_bad_sig",
    "verify_r_no_log_key",
    "verify_r_witness_key",
    "verify_r_ambiguous_key",
    "verify_r_bad_cosig",
    "verify_r_witness_keys",
    "verify_r_quorum",
    "verify_r_checkpoint",
    "verify_r_size",
    "verify_r_origin",
    "verify_r_leaf",
    "verify_r_issuer",
    "verify_r_canonical",
    "verify_r_policy",
    "verify_r_statement_sig",
    "verify_r_readable",
    "verify_r_proof_shape",
    "verify_r_root",
    "verify_r_error",
)


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of the growth chart: a checkpoint's size at its time, in SVG units."""

    x: float
    y: float
    width: float
    height: float
    size: int
    at: str


@dataclass(frozen=True, slots=True)
class AssetRow:
    """One asset in the ledger page's list."""

    asset_id: str
    title: str
    owner: str
    owner_short: str
    registered_at: int
    url: str


@dataclass(frozen=True, slots=True)
class CheckpointRow:
    """The newest trusted checkpoint as the ledger page shows it: as the API does (root in
    base64, ``created_at`` in ISO form), with the signing time made readable (``time``)."""

    size: int
    root: str
    note: str
    cosignatures: int
    created_at: str
    time: str


@dataclass(slots=True)
class LedgerContext:
    """What the ledger page shows: the log, its newest trusted checkpoint, and its assets."""

    lang: str
    origin: str
    vkey: str
    size: int
    asset_count: int
    quorum: int
    witnesses: list[str]
    #: The newest trusted checkpoint, or None before the first.
    checkpoint: CheckpointRow | None
    bars: list[Bar] = field(default_factory=list)
    chart_width: int = _CHART_WIDTH
    chart_height: int = _CHART_HEIGHT
    assets: list[AssetRow] = field(default_factory=list)
    #: The cursor this page started after (None on the first page).
    after: str | None = None
    next_url: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One statement in an asset's history, with what the reader needs to tell it apart.

    ``index`` is the entry's leaf index in its own ``log`` (an origin of the chain), so two
    rows of different logs may share an index; ``receipt_url`` names the log when it is not
    the open one.
    """

    index: int
    kind: str
    kind_label: str
    issued_at: str
    issuer: str
    issuer_short: str
    receipt_url: str
    log: str = ""


@dataclass(frozen=True, slots=True)
class LicenceRow:
    """One licence of an asset, granted and possibly revoked (leaf indexes)."""

    licence_id: str
    terms: str
    licensee: str
    licensee_short: str
    expires: str | None
    granted_at: int
    revoked_at: int | None


@dataclass(slots=True)
class AssetContext:
    """What an asset's page shows: its state, licences, history, and the keys to verify them.

    ``origin`` and ``vkey`` are the open log's; ``chain`` lists every log oldest first (the
    open one last), ``witness_keys`` the cosignature vkeys of the configured witnesses, of
    which ``quorum`` must have cosigned a checkpoint.
    """

    lang: str
    state: AssetState
    owner_short: str
    registered_time: str | None
    licences: list[LicenceRow]
    history: list[HistoryRow]
    origin: str
    vkey: str
    quorum: int
    #: i18n key → text for verify.js, in the page's language.
    messages: dict[str, str] = field(default_factory=dict)
    chain: list[ChainLink] = field(default_factory=list)
    witness_keys: list[str] = field(default_factory=list)

    @property
    def show_logs(self) -> bool:
        """Whether the history names each row's log: only once the chain has several."""
        return len(self.chain) > 1

    @property
    def verify_keys(self) -> dict[str, Any]:
        """What verify.js checks a row with: each log's vkey and the witnesses' keys."""
        return {
            "logs": {log.origin: log.vkey for log in self.chain},
            "witnesses": self.witness_keys,
            "quorum": self.quorum,
        }


def short_key(key: str) -> str:
    """A base64 key cut to its first 8 characters and an ellipsis (the full key goes in a title)."""
    return key if len(key) <= 12 else key[:8] + "…"


def growth_bars(
    growth: Sequence[StoredCheckpoint], width: int = _CHART_WIDTH, height: int = _CHART_HEIGHT
) -> list[Bar]:
    """Bars for the sizes of recent checkpoints (oldest first), scaled to ``width``×``height``.

    Each bar gets an equal slot, at most 1/12 of the width, with a small gap; the tallest is
    the largest size. An empty growth, or one whose sizes are all zero, gives bars of no height
    rather than dividing by 0.
    """
    if not growth:
        return []
    top = max(point.size for point in growth) or 1
    # A few checkpoints get narrow bars at the left, not one bar as wide as the chart.
    slot = width / max(len(growth), _MIN_SLOTS)
    gap = min(2.0, slot / 4)
    bars = []
    for position, point in enumerate(growth):
        size = point.size
        bar_height = round(height * size / top, 2)
        bars.append(
            Bar(
                x=round(position * slot, 2),
                y=round(height - bar_height, 2),
                width=round(slot - gap, 2),
                height=bar_height,
                size=size,
                at=_readable_time(point.created_at.isoformat()),
            )
        )
    return bars


def _readable_time(value: str) -> str:
    """An ISO time cut to the second and written with a space (``2024-05-01 12:00:00 UTC``)."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    suffix = " UTC" if moment.utcoffset() is not None and not moment.utcoffset() else ""
    return moment.strftime("%Y-%m-%d %H:%M:%S") + suffix


def ledger_context(
    summary: LedgerSummary, page: AssetPage, lang: str, after: str | None = None
) -> LedgerContext:
    """The ledger page's context from the ledger's summary and a page of assets."""
    checkpoint = summary.checkpoint
    rows = [
        AssetRow(
            a.asset_id,
            a.title,
            a.owner,
            short_key(a.owner),
            a.registered_at,
            _asset_url(a.asset_id),
        )
        for a in page.items
    ]
    next_url = None
    if page.next_cursor is not None:
        next_url = "/ledger?" + urlencode({"after": page.next_cursor})
    return LedgerContext(
        lang,
        origin=summary.origin,
        vkey=summary.vkey,
        size=summary.size,
        asset_count=summary.assets,
        quorum=summary.quorum,
        witnesses=list(summary.witnesses),
        checkpoint=None if checkpoint is None else _checkpoint_row(checkpoint),
        bars=growth_bars(summary.growth),
        assets=rows,
        after=after,
        next_url=next_url,
    )


def _checkpoint_row(checkpoint: StoredCheckpoint) -> CheckpointRow:
    """The checkpoint as the API shows it (``to_json``), with its time made readable."""
    shown = checkpoint.to_json()
    return CheckpointRow(**shown, time=_readable_time(shown["created_at"]))


def _asset_url(asset_id: str) -> str:
    return f"/ledger/assets/{asset_id}"


def verify_messages(lang: str) -> dict[str, str]:
    """The texts verify.js shows, in ``lang``."""
    return {key: translate(key, lang) for key in VERIFY_KEYS}


def receipt_url(index: int, log: str, open_origin: str) -> str:
    """The JSON API address of entry ``index``'s receipt; ``log=`` when not the open log."""
    return receipt_path(index, log if log and log != open_origin else None)


def log_chain(chain: Sequence[ChainLink], origin: str, vkey: str) -> list[ChainLink]:
    """The hand-over chain (oldest first), ending in the open log (``origin``, ``vkey``)
    even when the chain does not list it yet, and without a log whose key is unknown."""
    logs = [link for link in chain if link.vkey]
    if not logs or logs[-1].origin != origin:
        logs = [log for log in logs if log.origin != origin] + [ChainLink(origin, vkey)]
    return logs


def asset_context(history: AssetHistory, keys: LedgerKeys, lang: str) -> AssetContext:
    """An asset page's context from its state and history, with the ``keys`` its receipts
    are checked with in the browser: the open log's origin and verifier key, the hand-over
    chain (oldest first), the witnesses' cosignature keys and the quorum.

    Witness keys are listed once each.
    """
    origin, state = keys.origin, history.state
    rows = []
    for item in history.entries:
        statement = item.statement
        label = translate(f"kind_{item.kind}", lang)
        issuer = str(statement.get("issuer", ""))
        log = item.log or origin
        rows.append(
            HistoryRow(
                index=item.index,
                kind=item.kind,
                kind_label=item.kind if label == f"kind_{item.kind}" else label,
                issued_at=_readable_time(str(statement.get("issued_at", ""))),
                issuer=issuer,
                issuer_short=short_key(issuer),
                receipt_url=receipt_url(item.index, log, origin),
                log=log,
            )
        )
    # An asset has one registration; after a rotation its ledger position (registered_at)
    # need not equal a leaf index, and another log's row may share the index.
    registered = next((r for r in rows if r.kind == "register"), None)
    licences = [
        LicenceRow(
            licence.licence_id,
            licence.terms,
            licence.licensee,
            short_key(licence.licensee),
            licence.expires,
            licence.granted_at,
            licence.revoked_at,
        )
        for _, licence in sorted(state.licences.items(), key=lambda kv: kv[1].granted_at)
    ]
    return AssetContext(
        lang,
        state,
        owner_short=short_key(state.owner),
        registered_time=registered.issued_at if registered else None,
        licences=licences,
        history=rows,
        origin=origin,
        vkey=keys.vkey,
        quorum=keys.quorum,
        messages=verify_messages(lang),
        chain=log_chain(keys.chain, origin, keys.vkey),
        witness_keys=list(dict.fromkeys(keys.witness_keys)),
    )


@router.get("/ledger", response_class=HTMLResponse)
def ledger_page(request: Request, platform: PlatformDep, lang: LangDep) -> Response:
    # A cursor that is not printable ASCII, or too long, starts from the first page: a page
    # answers odd input with a page.
    after = request.query_params.get("after")
    if after is not None and not _CURSOR.fullmatch(after):
        after = None
    ledger = platform.ledger
    page = ledger.assets(limit=_PAGE_SIZE, after=after)
    ctx = ledger_context(ledger.summary(), page, lang, after)
    return _render(request, "ledger.html", ctx, lang)


@router.get("/ledger/assets/{asset_id}", response_class=HTMLResponse)
def asset_page(request: Request, asset_id: str, platform: PlatformDep, lang: LangDep) -> Response:
    if not _ASSET_ID.fullmatch(asset_id):
        raise NotFound(f"{asset_id[:80]!r} is not an asset id (sha256: and 64 hex digits)")
    ledger = platform.ledger
    ctx = asset_context(ledger.history(asset_id), ledger.keys(), lang)
    return _render(request, "ledger_asset.html", ctx, lang)
