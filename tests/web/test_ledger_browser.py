"""The in-browser receipt check (static/verify.js) in real Chromium, against a live ledger.

A module-scoped server runs the app over a fresh platform whose ledger checkpoints every
50 ms; statements are registered through the JSON API as a client would. Tampered receipts
are served by intercepting the receipt request with Playwright's ``route``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.web.conftest import serving
from wenyuan.app import Platform
from wenyuan.core.config import Settings
from wenyuan.ledger import asset_id_for, encode_leaf, make_register

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route

pytestmark = pytest.mark.browser

Bundle = dict[str, Any]


@pytest.fixture(scope="module")
def ledger_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of the app served by uvicorn over a fresh platform with a fast ledger."""
    data_dir = tmp_path_factory.mktemp("ledger-browser")
    platform = Platform(Settings(data_dir=data_dir, ledger_checkpoint_interval=0.05))
    try:
        with serving(platform) as base_url:
            yield base_url
    finally:
        platform.close()


def _register(base_url: str, content: bytes, title: str) -> str:
    """Sign a register statement with a new key, POST its leaf, return the asset id."""
    key = Ed25519PrivateKey.generate()
    content_sha256 = hashlib.sha256(content).hexdigest()
    leaf = encode_leaf(
        make_register(
            key,
            content_sha256=content_sha256,
            media_type="image/tiff",
            title=title,
            creators=["王羲之", 'A "quoted"\tname'],
        )
    )
    request = urllib.request.Request(
        f"{base_url}/api/ledger/statements?wait=10",
        data=leaf,
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        assert response.status == 201
    return asset_id_for(content_sha256)


@pytest.fixture(scope="module")
def asset_ids(ledger_server: str) -> list[str]:
    """Three registered assets, so the log's tree has inclusion proofs of several hashes."""
    return [
        _register(ledger_server, b"lanting", "兰亭集序"),
        _register(ledger_server, b"qingming", "清明上河图"),
        _register(ledger_server, b"fuchun", "富春山居图 \u2028 😀"),
    ]


@pytest.fixture
def ledger_page(chromium: Browser, ledger_server: str) -> Iterator[Page]:
    """A page in a fresh browser context whose relative URLs go to the ledger server."""
    context = chromium.new_context(base_url=ledger_server, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def _verify(page: Page, asset_id: str, lang: str = "en") -> list[tuple[str, str]]:
    """Open the asset's page, click its first verify button, return (class, text) per step."""
    page.goto(f"/ledger/assets/{asset_id}?lang={lang}")
    page.wait_for_selector("#history[data-ready=true]")
    page.click("button.verify >> nth=0")
    page.wait_for_selector(".verify-result.passed, .verify-result.failed")
    items = page.locator("tr.verify-row >> nth=0").locator(".verify-steps li")
    return [
        (str(items.nth(i).get_attribute("class")), items.nth(i).inner_text())
        for i in range(items.count())
    ]


@pytest.mark.parametrize(
    ("lang", "first_step", "verdict"),
    [
        pytest.param("en", "Read the receipt", "The receipt verifies", id="en"),
        pytest.param("zh", "读取回执", "回执核验通过", id="zh"),
    ],
)
def test_a_genuine_receipt_passes_every_step(
    ledger_page: Page, asset_ids: list[str], lang: str, first_step: str, verdict: str
) -> None:
    """Clicking verify on a real entry shows all seven steps passed, in the page's language."""
    for asset_id in asset_ids:
        steps = _verify(ledger_page, asset_id, lang)

        assert [cls for cls, _ in steps] == ["passed"] * 7, steps
        assert all(text.startswith("✓") for _, text in steps)
        assert first_step in steps[0][1]
        assert verdict in ledger_page.inner_text(".verify-result.passed")


def _flip_proof_byte(bundle: Bundle) -> None:
    proof = bytearray(base64.b64decode(bundle["inclusion_proof"][0]))
    proof[7] ^= 0x01
    bundle["inclusion_proof"][0] = base64.b64encode(bytes(proof)).decode()


def _alter_leaf_statement(bundle: Bundle) -> None:
    # A canonical leaf whose statement says something its issuer never signed.
    envelope = json.loads(base64.b64decode(bundle["leaf"]))
    envelope["statement"]["title"] = "伪作"
    bundle["leaf"] = base64.b64encode(rfc8785.dumps(envelope)).decode()


def _alter_readable_statement(bundle: Bundle) -> None:
    bundle["statement"]["media_type"] = "image/png"


def _alter_checkpoint_size(bundle: Bundle) -> None:
    lines = bundle["checkpoint"].split("\n")
    lines[1] = str(int(lines[1]) + 1)
    bundle["checkpoint"] = "\n".join(lines)
    bundle["tree_size"] += 1


def _swap_checkpoint_signature(bundle: Bundle) -> None:
    # The same key name and id, someone else's signature.
    text, _, signature = bundle["checkpoint"].rpartition("\n\n— ")
    name, _, encoded = signature.strip("\n").partition(" ")
    raw = bytearray(base64.b64decode(encoded))
    raw[-1] ^= 0x80
    bundle["checkpoint"] = f"{text}\n\n— {name} {base64.b64encode(bytes(raw)).decode()}\n"


def _wrong_format(bundle: Bundle) -> None:
    bundle["format"] = "wenyuan-receipt/v0"


@pytest.mark.parametrize(
    ("tamper", "failed_step", "reason"),
    [
        pytest.param(_wrong_format, 1, "unknown receipt format", id="format"),
        pytest.param(_swap_checkpoint_signature, 2, "signature does not match", id="log-sig"),
        pytest.param(_alter_checkpoint_size, 2, "signature does not match", id="size-line"),
        pytest.param(_alter_leaf_statement, 5, "signature does not match", id="statement"),
        pytest.param(_alter_readable_statement, 6, "readable statement", id="readable"),
        pytest.param(_flip_proof_byte, 7, "other than the checkpoint", id="proof-byte"),
    ],
)
def test_a_tampered_receipt_fails_at_its_step(
    ledger_page: Page,
    asset_ids: list[str],
    tamper: Callable[[Bundle], None],
    failed_step: int,
    reason: str,
) -> None:
    """A receipt altered in transit passes the steps before the check it breaks, then fails."""

    def serve_tampered(route: Route) -> None:
        bundle = route.fetch().json()
        tamper(bundle)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(bundle))

    ledger_page.route("**/api/ledger/entries/*/receipt", serve_tampered)

    steps = _verify(ledger_page, asset_ids[0])

    classes = [cls for cls, _ in steps]
    assert classes == ["passed"] * (failed_step - 1) + ["failed"], steps
    assert steps[-1][1].startswith("✗")
    assert reason in steps[-1][1]
    assert "does not verify" in ledger_page.inner_text(".verify-result.failed")


def test_the_ledger_page_screenshot_is_a_png(
    ledger_page: Page, asset_ids: list[str], tmp_path: Path
) -> None:
    """The ledger page renders its checkpoint and growth chart; a screenshot is a PNG."""
    ledger_page.goto("/ledger?lang=en")

    assert int(ledger_page.inner_text(".checkpoint-size")) >= len(asset_ids)
    assert ledger_page.locator("svg.growth-chart rect").count() >= 1
    path = tmp_path / "ledger.png"
    ledger_page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
