"""The trust ledger's pages through the app in-process: contexts, HTML, 404s, zh and en."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from tests.web.conftest import TestClient
from wenyuan.app import Platform
from wenyuan.asgi import create_app
from wenyuan.core.config import Settings, WitnessSetting
from wenyuan.ledger import (
    ChainLink,
    NoteSigner,
    StoredCheckpoint,
    asset_id_for,
    encode_leaf,
    encode_public_key,
    make_grant_licence,
    make_register,
    make_revoke,
    make_transfer,
)
from wenyuan.web import STATIC_DIR, ledger_pages
from wenyuan.web.i18n import translate
from wenyuan.web.ledger_pages import (
    VERIFY_KEYS,
    AssetContext,
    CheckpointRow,
    LedgerContext,
    growth_bars,
    log_chain,
    receipt_url,
    short_key,
    verify_messages,
)
from wenyuan.web.pages import ErrorContext


class _Tags(HTMLParser):
    """Every start tag of a page with its attributes, in order."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            found
            for name, found in self.tags
            if name == tag and all(found.get(k) == v for k, v in attrs.items())
        ]


@pytest.fixture
def ledger_platform(sqlite_settings: Settings) -> Iterator[Platform]:
    """An empty platform whose ledger checkpoints every 50 ms."""
    platform = Platform(sqlite_settings.model_copy(update={"ledger_checkpoint_interval": 0.05}))
    yield platform
    platform.close()


@pytest.fixture
def ledger_client(ledger_platform: Platform) -> Iterator[TestClient]:
    """A client for the app over ``ledger_platform``, lifespan running, with no cookies."""
    app = create_app(ledger_platform.settings, platform=ledger_platform)
    with TestClient(app) as client:
        yield client


def _submit(client: TestClient, leaf: bytes) -> dict[str, object]:
    response = client.post(
        "/api/ledger/statements",
        params={"wait": 10},
        content=leaf,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 201, response.text
    bundle: dict[str, object] = response.json()
    return bundle


def _register(client: TestClient, key: Ed25519PrivateKey, content: bytes, title: str) -> str:
    leaf = encode_leaf(
        make_register(
            key,
            content_sha256=hashlib.sha256(content).hexdigest(),
            media_type="image/jpeg",
            title=title,
            creators=["张择端"],
            description="北宋风俗画",
        )
    )
    _submit(client, leaf)
    return asset_id_for(hashlib.sha256(content).hexdigest())


def _head(client: TestClient, asset_id: str) -> str:
    head: str = client.get(f"/api/ledger/assets/{asset_id}").json()["state"]["head"]
    return head


def _ctx(response: Any) -> object:
    """The typed context a page was rendered from (the TestClient keeps it on the response)."""
    return response.context["ctx"]


def test_empty_ledger_page_says_there_is_no_checkpoint_yet(ledger_client: TestClient) -> None:
    """Before any statement, the ledger page shows size 0, no checkpoint and no assets."""
    response = ledger_client.get("/ledger", params={"lang": "en"})

    assert response.status_code == 200
    ctx = _ctx(response)
    assert isinstance(ctx, LedgerContext)
    assert ctx.size == 0
    assert ctx.assets == []
    assert ctx.checkpoint is None
    assert "The log has not published a checkpoint yet." in response.text
    assert "No assets are registered yet." in response.text


def test_ledger_page_shows_size_checkpoint_and_assets(ledger_client: TestClient) -> None:
    """After a registration, the page shows the size, the signed note in a <pre>, the asset."""
    asset_id = _register(ledger_client, Ed25519PrivateKey.generate(), b"qingming", "清明上河图")
    summary = ledger_client.get("/api/ledger").json()

    response = ledger_client.get("/ledger")

    ctx = _ctx(response)
    assert isinstance(ctx, LedgerContext)
    assert (ctx.size, ctx.asset_count) == (1, 1)
    assert ctx.vkey == summary["vkey"]
    assert isinstance(ctx.checkpoint, CheckpointRow)
    assert ctx.checkpoint.size == 1
    assert ctx.checkpoint.root == summary["checkpoint"]["root"]
    assert ctx.checkpoint.created_at == summary["checkpoint"]["created_at"]
    assert f'<pre class="note">{html.escape(ctx.checkpoint.note)}</pre>' in response.text
    assert f'<code class="checkpoint-root">{ctx.checkpoint.root}</code>' in response.text
    assert f'id="vkey">{html.escape(ctx.vkey)}</pre>' in response.text
    assert [a.asset_id for a in ctx.assets] == [asset_id]
    assert _Tags(response.text).find("a", href=f"/ledger/assets/{asset_id}")
    assert len(ctx.bars) == len(summary["growth"]) >= 1
    assert '<svg class="growth-chart"' in response.text
    assert "script" not in {tag for tag, _ in _Tags(response.text).tags}


def test_ledger_page_pages_through_assets(
    ledger_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With more assets than a page holds, a next link leads to the rest, with no overlap."""
    monkeypatch.setattr(ledger_pages, "_PAGE_SIZE", 2)
    key = Ed25519PrivateKey.generate()
    ids = sorted(_register(ledger_client, key, bytes([n]), f"卷{n}") for n in range(3))

    first = _ctx(ledger_client.get("/ledger"))
    assert isinstance(first, LedgerContext)
    assert [a.asset_id for a in first.assets] == ids[:2]
    assert first.next_url is not None

    second = _ctx(ledger_client.get(first.next_url))
    assert isinstance(second, LedgerContext)
    assert [a.asset_id for a in second.assets] == ids[2:]
    assert second.next_url is None
    assert second.after == ids[1]


def test_asset_page_lists_history_and_licences(ledger_client: TestClient) -> None:
    """Register, grant, revoke, transfer: the page lists all four and the revoked licence."""
    owner, licensee, buyer = (Ed25519PrivateKey.generate() for _ in range(3))
    asset_id = _register(ledger_client, owner, b"scroll", "清明上河图")
    grant = _submit(
        ledger_client,
        encode_leaf(
            make_grant_licence(
                owner,
                asset=asset_id,
                prev=_head(ledger_client, asset_id),
                licensee=licensee.public_key(),
                terms="展览复制",
            )
        ),
    )
    licence_id = hashlib.sha256(base64.b64decode(str(grant["leaf"]))).hexdigest()
    _submit(
        ledger_client,
        encode_leaf(
            make_revoke(
                owner, asset=asset_id, prev=_head(ledger_client, asset_id), licence=licence_id
            )
        ),
    )
    _submit(
        ledger_client,
        encode_leaf(
            make_transfer(
                owner, asset=asset_id, prev=_head(ledger_client, asset_id), to=buyer.public_key()
            )
        ),
    )

    response = ledger_client.get(f"/ledger/assets/{asset_id}", params={"lang": "en"})

    assert response.status_code == 200
    assert response.template.name == "ledger_asset.html"  # type: ignore[attr-defined]
    ctx = _ctx(response)
    assert isinstance(ctx, AssetContext)
    assert [(h.index, h.kind) for h in ctx.history] == [
        (0, "register"),
        (1, "grant-licence"),
        (2, "revoke"),
        (3, "transfer"),
    ]
    assert [h.kind_label for h in ctx.history] == [
        "Registration",
        "Licence granted",
        "Licence revoked",
        "Transfer",
    ]
    assert ctx.state.owner == encode_public_key(buyer)
    assert ctx.owner_short == short_key(ctx.state.owner)
    assert f'<code title="{ctx.state.owner}">{ctx.owner_short}</code>' in response.text
    assert [(lic.licence_id, lic.terms, lic.revoked_at) for lic in ctx.licences] == [
        (licence_id, "展览复制", 2)
    ]
    assert ctx.registered_time == ctx.history[0].issued_at
    tags = _Tags(response.text)
    buttons = tags.find("button", type="button")
    assert [b["data-index"] for b in buttons] == ["0", "1", "2", "3"]
    assert all("hidden" in b for b in buttons)  # shown by verify.js; no dead buttons without JS
    assert [a["href"] for a in tags.find("a", **{"class": "receipt"})] == [
        f"/api/ledger/entries/{n}/receipt" for n in range(4)
    ]
    for text in ("张择端", "image/jpeg", "北宋风俗画", "展览复制", asset_id):
        assert text in response.text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_asset_page_hands_verify_js_the_key_and_its_texts(
    ledger_client: TestClient, lang: str
) -> None:
    """The page loads verify.js as a module, with the log's vkey and the step texts in lang."""
    asset_id = _register(ledger_client, Ed25519PrivateKey.generate(), b"x", "兰亭集序")
    summary = ledger_client.get("/api/ledger").json()

    response = ledger_client.get(f"/ledger/assets/{asset_id}", params={"lang": lang})

    tags = _Tags(response.text)
    assert tags.find("script", type="module", src="/static/verify.js")
    section = tags.find("section", id="history")[0]
    assert (section["data-vkey"], section["data-origin"]) == (summary["vkey"], summary["origin"])
    assert section["data-quorum"] == str(summary["quorum"])
    match = re.search(r'id="verify-messages">(.*?)</script>', response.text, re.S)
    assert match is not None
    assert json.loads(match.group(1)) == verify_messages(lang)
    assert _verify_keys(response.text) == {
        "logs": {summary["origin"]: summary["vkey"]},
        "witnesses": [],
        "quorum": summary["quorum"],
    }
    assert verify_messages(lang)["verify_step_1"] == (
        "读取回执" if lang == "zh" else "Read the receipt"
    )


def _verify_keys(text: str) -> Any:
    """The keys an asset page hands verify.js (its #verify-keys JSON)."""
    match = re.search(r'id="verify-keys">(.*?)</script>', text, re.S)
    assert match is not None
    return json.loads(match.group(1))


WITNESS = NoteSigner.generate("witness.test/pages")


@pytest.fixture
def witnessed_client(sqlite_settings: Settings) -> Iterator[TestClient]:
    """A client over a platform configured with one witness (unreachable: port 9 refuses)
    and a quorum of 0, so statements get receipts without it."""
    settings = sqlite_settings.model_copy(
        update={
            "ledger_checkpoint_interval": 0.05,
            "ledger_quorum": 0,
            "ledger_witnesses": [
                WitnessSetting(url="http://127.0.0.1:9", vkey=WITNESS.cosignature_verifier().vkey())
            ],
        }
    )
    platform = Platform(settings)
    try:
        with TestClient(create_app(settings, platform=platform)) as client:
            yield client
    finally:
        platform.close()  # closes the witnesses' HTTP clients with the ledger


def test_asset_page_hands_verify_js_the_witness_keys_and_quorum(
    witnessed_client: TestClient,
) -> None:
    """The configured witnesses' cosignature vkeys and the quorum are on the page for step 4."""
    asset_id = _register(witnessed_client, Ed25519PrivateKey.generate(), b"w", "五牛图")
    summary = witnessed_client.get("/api/ledger").json()

    response = witnessed_client.get(f"/ledger/assets/{asset_id}")

    ctx = _ctx(response)
    assert isinstance(ctx, AssetContext)
    vkey = WITNESS.cosignature_verifier().vkey()
    assert ctx.witness_keys == [vkey]
    assert _verify_keys(response.text) == {
        "logs": {summary["origin"]: summary["vkey"]},
        "witnesses": [vkey],
        "quorum": 0,
    }


def test_asset_page_after_a_rotation_names_each_rows_log_and_key(
    ledger_platform: Platform, ledger_client: TestClient
) -> None:
    """A row of the first log keeps that log's key and asks for its receipt with ?log=; the
    page shows each row's log and the chain's keys, oldest first."""
    owner = Ed25519PrivateKey.generate()
    asset_id = _register(ledger_client, owner, b"rotated", "十六罗汉图")
    first = ledger_client.get("/api/ledger").json()
    new_origin = first["origin"] + "/2"
    ledger_platform.ledger.rotate(new_origin)
    _submit(
        ledger_client,
        encode_leaf(
            make_transfer(
                owner,
                asset=asset_id,
                prev=_head(ledger_client, asset_id),
                to=Ed25519PrivateKey.generate().public_key(),
            )
        ),
    )
    second = ledger_client.get("/api/ledger").json()

    response = ledger_client.get(f"/ledger/assets/{asset_id}", params={"lang": "en"})

    ctx = _ctx(response)
    assert isinstance(ctx, AssetContext)
    assert ctx.chain == [
        ChainLink(first["origin"], first["vkey"]),
        ChainLink(new_origin, second["vkey"]),
    ]
    assert ctx.show_logs
    assert [(h.log, h.kind) for h in ctx.history] == [
        (first["origin"], "register"),
        (new_origin, "transfer"),
    ]
    assert ctx.registered_time == ctx.history[0].issued_at
    assert _verify_keys(response.text)["logs"] == {
        first["origin"]: first["vkey"],
        new_origin: second["vkey"],
    }
    tags = _Tags(response.text)
    assert [b["data-log"] for b in tags.find("button", type="button")] == [
        first["origin"],
        new_origin,
    ]
    assert [t["data-log"] for t in tags.find("li") if "data-log" in t] == [
        first["origin"],
        new_origin,
    ]
    assert ">Log</th>" in response.text
    assert f'<td class="log"><code>{html.escape(first["origin"])}</code></td>' in response.text
    # Each row's JSON link is its own log's receipt, signed by that log's key.
    for row, link in zip(ctx.history, tags.find("a", **{"class": "receipt"}), strict=True):
        bundle = ledger_client.get(html.unescape(link["href"])).json()
        assert (bundle["origin"], bundle["leaf_index"]) == (row.log, row.index)
        assert bundle["checkpoint"].startswith(row.log + "\n")
    assert "?log=" in ctx.history[0].receipt_url
    assert "?" not in ctx.history[1].receipt_url


def test_asset_page_of_one_log_does_not_name_logs(ledger_client: TestClient) -> None:
    """Before any rotation the history has no log column and no chain list."""
    asset_id = _register(ledger_client, Ed25519PrivateKey.generate(), b"one", "兰亭集序")

    response = ledger_client.get(f"/ledger/assets/{asset_id}", params={"lang": "en"})

    ctx = _ctx(response)
    assert isinstance(ctx, AssetContext)
    assert not ctx.show_logs
    assert len(ctx.chain) == 1
    assert 'class="log"' not in response.text
    assert "log-chain" not in response.text


_ORIGINS = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=40,
)


@given(index=st.integers(0, 2**53), log=_ORIGINS, open_origin=_ORIGINS)
def test_receipt_urls_name_only_an_earlier_log(index: int, log: str, open_origin: str) -> None:
    """A receipt address asks for ``log=`` exactly when the entry is not in the open log,
    and the query reads back as the log's origin, whatever characters it holds."""
    url = urlsplit(receipt_url(index, log, open_origin))

    assert url.path == f"/api/ledger/entries/{index}/receipt"
    assert parse_qs(url.query) == ({} if log == open_origin else {"log": [log]})


@given(
    chain=st.lists(
        st.builds(ChainLink, origin=_ORIGINS, vkey=st.sampled_from(["", "k+1+a"])),
        max_size=4,
        unique_by=lambda log: log.origin,
    ),
    origin=_ORIGINS,
)
def test_the_log_chain_ends_in_the_open_log(chain: list[ChainLink], origin: str) -> None:
    """The chain the page verifies with always ends in the open log with its own key, and
    holds no log without a key."""
    logs = log_chain(chain, origin, "open+0+key")

    assert logs[-1] == ChainLink(origin, logs[-1].vkey)
    assert all(log.vkey for log in logs)
    assert [log.origin for log in logs].count(origin) == 1


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_verify_text_exists_in_both_languages(lang: str) -> None:
    """Each text verify.js can show has a translation, with the same placeholders in zh and en."""
    placeholders = set()
    for key in VERIFY_KEYS:
        text = translate(key, lang)
        assert text != key
        assert _PLACEHOLDER.findall(text) == _PLACEHOLDER.findall(translate(key, "en"))
        placeholders.update(_PLACEHOLDER.findall(text))
    assert {"count", "detail", "name", "quorum"} <= placeholders


def test_verify_js_uses_only_texts_the_page_provides() -> None:
    """Every message key named in verify.js is one the asset page hands it."""
    source = (STATIC_DIR / "verify.js").read_text(encoding="utf-8")
    named = set(re.findall(r'"(verify_[a-z_]+)"', source))
    assert named
    assert named <= set(VERIFY_KEYS)
    assert "verify_step_${number}" in source
    assert {f"verify_step_{n}" for n in range(1, 8)} <= set(VERIFY_KEYS)


def test_vendored_crypto_carries_licences_and_versions() -> None:
    """The vendored noble modules are present with their MIT licences and a README naming them."""
    vendor = STATIC_DIR / "vendor"
    readme = (vendor / "README.md").read_text(encoding="utf-8")
    for folder, module in (("noble-ed25519", "index.js"), ("noble-hashes", "sha2.js")):
        assert (vendor / folder / module).is_file()
        assert "MIT License" in (vendor / folder / "LICENSE").read_text(encoding="utf-8")
    assert "@noble/ed25519" in readme
    assert "3.2.0" in readme
    assert "@noble/hashes" in readme
    assert "2.4.0" in readme


@pytest.mark.parametrize(
    "asset_id",
    [
        pytest.param("sha256:" + "0" * 64, id="well-formed-unregistered"),
        pytest.param("not-an-asset", id="malformed"),
        pytest.param("sha256:" + "A" * 64, id="uppercase-hex"),
    ],
)
@pytest.mark.parametrize(
    ("lang", "message"),
    [
        pytest.param("zh", "找不到这条记录或这个页面。", id="zh"),
        pytest.param("en", "No such record or page.", id="en"),
    ],
)
def test_unknown_asset_is_a_404_page(
    ledger_client: TestClient, asset_id: str, lang: str, message: str
) -> None:
    """An asset the ledger does not hold gets the site's error page with status 404."""
    response = ledger_client.get(f"/ledger/assets/{asset_id}", params={"lang": lang})

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    ctx = _ctx(response)
    assert isinstance(ctx, ErrorContext)
    assert ctx.status == 404
    assert message in response.text


@pytest.mark.parametrize(
    ("lang", "title", "html_lang"),
    [
        pytest.param("zh", "可信登记簿", "zh-Hans", id="zh"),
        pytest.param("en", "Trust ledger", "en", id="en"),
    ],
)
def test_ledger_page_speaks_the_readers_language(
    ledger_client: TestClient, lang: str, title: str, html_lang: str
) -> None:
    """The ledger page's words follow ?lang, and Chinese is the default."""
    default = ledger_client.get("/ledger")
    response = ledger_client.get("/ledger", params={"lang": lang})

    assert "<h1>可信登记簿</h1>" in default.text
    assert f"<h1>{title}</h1>" in response.text
    assert _Tags(response.text).find("html", lang=html_lang)
    assert _ctx(response).lang == lang  # type: ignore[attr-defined]


def test_every_page_links_to_the_ledger(client: TestClient) -> None:
    """The site header's nav links to /ledger, in the reader's language."""
    zh = _Tags(client.get("/").text).find("a", id="nav-ledger")
    en = client.get("/", params={"lang": "en"}).text

    assert zh == [{"id": "nav-ledger", "href": "/ledger"}]
    assert '<a id="nav-ledger" href="/ledger">Trust ledger</a>' in en


@given(
    st.lists(
        st.builds(
            StoredCheckpoint,
            size=st.integers(min_value=0, max_value=2**40),
            root=st.just(bytes(32)),
            note=st.just(""),
            cosignatures=st.just(0),
            created_at=st.just(datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ),
        max_size=40,
    )
)
def test_growth_bars_fit_the_chart_and_keep_the_order_of_sizes(
    growth: list[StoredCheckpoint],
) -> None:
    """Bars stay inside the chart, one per checkpoint, and a larger size is never shorter."""
    bars = growth_bars(growth, width=600, height=120)

    assert [b.size for b in bars] == [p.size for p in growth]
    assert all(b.at == "2024-05-01 12:00:00 UTC" for b in bars)
    for bar in bars:
        assert bar.x >= 0
        assert bar.x + bar.width <= 600 + 1e-6
        assert 0 <= bar.y <= 120
        assert 0 <= bar.height <= 120
        assert abs(bar.y + bar.height - 120) < 1e-6
    for a in bars:
        for b in bars:
            if a.size > b.size:
                assert a.height >= b.height
    if bars and max(b.size for b in bars) > 0:
        assert max(b.height for b in bars) == 120


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        pytest.param("nefsCcGvkQ9wIVS1K/IcKFfCg8p8pU5CB/ZoWF15lIk=", "nefsCcGv…", id="ed25519"),
        pytest.param("short", "short", id="short-kept"),
    ],
)
def test_keys_are_shortened_for_reading(key: str, shown: str) -> None:
    """A long key shows its first 8 characters and an ellipsis; a short one is kept whole."""
    assert short_key(key) == shown


def test_markup_in_a_registered_title_is_shown_as_text(ledger_client: TestClient) -> None:
    """Titles and creators come from whoever signs a statement: the pages escape them."""
    hostile = '<img src=x onerror="alert(1)">《兰亭》'
    asset_id = _register(ledger_client, Ed25519PrivateKey.generate(), b"xss", hostile)
    for url in (f"/ledger/assets/{asset_id}", "/ledger"):
        page = ledger_client.get(url).text
        assert "<img src=x" not in page
        assert "&lt;img src=x onerror=" in page
