"""The in-browser receipt check (static/verify.js) in real Chromium, against a live ledger.

A module-scoped server runs the app over a fresh platform whose ledger checkpoints every
50 ms; statements are registered through the JSON API as a client would. Tampered receipts
are served by intercepting the receipt request with Playwright's ``route``.

A second platform needs the cosignature of a real witness (the witness app served by uvicorn
in-process, following both logs of the chain), so step 4 is checked for real, and its
ledger is rotated to check rows of an earlier log against that log's key. Where a tampered
receipt fails, the Python verifier (``verify_receipt``) is asked about the same bundle and
the browser must name the same step.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.web.conftest import serving, serving_app
from wenyuan.api.witness import create_witness_app
from wenyuan.app import Platform
from wenyuan.app.ledger import ledger_signer
from wenyuan.core.config import Settings, WitnessSetting
from wenyuan.ledger import (
    MemoryWitnessState,
    NoteSigner,
    NoteVerifier,
    VerificationError,
    Witness,
    asset_id_for,
    encode_leaf,
    make_register,
    make_transfer,
    verify_receipt,
)

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


def _post_leaf(base_url: str, leaf: bytes) -> Bundle:
    """POST a statement leaf, waiting for its receipt; return the receipt bundle."""
    request = urllib.request.Request(
        f"{base_url}/api/ledger/statements?wait=10",
        data=leaf,
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        assert response.status == 201
        bundle: Bundle = json.load(response)
    return bundle


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=15) as response:
        return json.load(response)


def _register(
    base_url: str, content: bytes, title: str, key: Ed25519PrivateKey | None = None
) -> str:
    """Sign a register statement (with a new key unless given), POST its leaf, return the
    asset id."""
    key = key or Ed25519PrivateKey.generate()
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
    _post_leaf(base_url, leaf)
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


def _verify(page: Page, asset_id: str, lang: str = "en", row: int = 0) -> list[tuple[str, str]]:
    """Open the asset's page, click the verify button of history ``row``, return (class,
    text) per step shown in that row."""
    page.goto(f"/ledger/assets/{asset_id}?lang={lang}")
    page.wait_for_selector("#history[data-ready=true]")
    page.locator("button.verify").nth(row).click()
    steps = page.locator("tr.verify-row").nth(row)
    steps.locator(".verify-result.passed, .verify-result.failed").wait_for()
    items = steps.locator(".verify-steps li")
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


def _pending(route: Route) -> None:
    """Answer a receipt request as the server does before a trusted checkpoint covers it."""
    path = urllib.parse.urlsplit(route.request.url).path
    index = int(path.split("/")[-2])  # /api/ledger/entries/{index}/receipt
    route.fulfill(
        status=202,
        headers={"Retry-After": "1"},
        content_type="application/json",
        body=json.dumps({"leaf_index": index, "receipt": path}),
    )


def test_a_pending_receipt_is_fetched_again_after_retry_after(
    ledger_page: Page, asset_ids: list[str]
) -> None:
    """A receipt answered 202 (not ready yet) is asked for again after Retry-After; once
    the server has it, all seven steps pass."""
    answers: list[int] = []

    def pending_once(route: Route) -> None:
        if answers:
            answers.append(200)
            route.continue_()
        else:
            answers.append(202)
            _pending(route)

    ledger_page.route("**/api/ledger/entries/*/receipt", pending_once)

    steps = _verify(ledger_page, asset_ids[0])

    assert answers == [202, 200]
    assert [cls for cls, _ in steps] == ["passed"] * 7, steps


def test_a_receipt_that_stays_pending_fails_at_the_first_step(
    ledger_page: Page, asset_ids: list[str]
) -> None:
    """A receipt still not ready after three tries fails step 1, saying it was a 202: the
    statement is not shown as verified."""
    calls: list[str] = []

    def always_pending(route: Route) -> None:
        calls.append(route.request.url)
        _pending(route)

    ledger_page.route("**/api/ledger/entries/*/receipt", always_pending)

    steps = _verify(ledger_page, asset_ids[0])

    assert len(calls) == 3
    assert [cls for cls, _ in steps] == ["failed"], steps
    assert "HTTP 202, Retry-After: 1" in steps[0][1]
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


# -- a witnessed ledger and its rotation -----------------------------------------------------

WITNESSED_ORIGIN = "wenyuan.test/witnessed"
ROTATED_ORIGIN = "wenyuan.test/witnessed/2"
WITNESS_NAME = "witness.test/w1"


@dataclass(frozen=True, slots=True)
class WitnessedLedger:
    """A platform served over HTTP whose checkpoints need one real witness's cosignature."""

    base_url: str
    platform: Platform
    #: origin → the log's verifier key, for both logs of the chain (the second after rotation).
    log_vkeys: dict[str, str]
    witness_vkey: str


@contextmanager
def witnessed_ledger(data_dir: Path) -> Iterator[WitnessedLedger]:
    """Serve a witness following both logs, then the app over a platform with a quorum of
    one; the logs' keys are made first, so the witness knows them."""
    plain = Settings(data_dir=data_dir, ledger_origin=WITNESSED_ORIGIN)
    log_vkeys = {o: ledger_signer(plain, o).vkey() for o in (WITNESSED_ORIGIN, ROTATED_ORIGIN)}
    signer = NoteSigner.generate(WITNESS_NAME)
    witness = Witness(
        signer,
        MemoryWitnessState(),
        {origin: NoteVerifier.from_vkey(vkey) for origin, vkey in log_vkeys.items()},
    )
    witness_vkey = signer.cosignature_verifier().vkey()
    with serving_app(create_witness_app(witness)) as witness_url:
        settings = Settings(
            data_dir=data_dir,
            ledger_origin=WITNESSED_ORIGIN,
            ledger_witnesses=[WitnessSetting(url=witness_url, vkey=witness_vkey)],
            ledger_quorum=1,
            ledger_checkpoint_interval=0.05,
        )
        platform = Platform(settings)
        try:
            with serving(platform) as base_url:
                yield WitnessedLedger(base_url, platform, log_vkeys, witness_vkey)
        finally:
            platform.close()  # closes the witnesses' HTTP clients with the ledger


@pytest.fixture(scope="module")
def witnessed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WitnessedLedger]:
    """A witnessed ledger with one log (never rotated)."""
    with witnessed_ledger(tmp_path_factory.mktemp("ledger-witnessed")) as ledger:
        yield ledger


@pytest.fixture(scope="module")
def witnessed_asset(witnessed: WitnessedLedger) -> str:
    """An asset registered in the witnessed ledger, after another (a proof of some hashes)."""
    _register(witnessed.base_url, b"zhaoyuan", "照夜白图")
    return _register(witnessed.base_url, b"wufu", "五牛图")


def _witnessed_page(chromium: Browser, base_url: str) -> Page:
    context = chromium.new_context(base_url=base_url, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(10_000)
    return context.new_page()


@pytest.fixture
def witnessed_page(chromium: Browser, witnessed: WitnessedLedger) -> Iterator[Page]:
    page = _witnessed_page(chromium, witnessed.base_url)
    yield page
    page.context.close()


def _python_step(bundle: Bundle, log_vkey: str, witness_vkey: str) -> int:
    """The step at which the Python verifier fails ``bundle`` (quorum 1), 0 if it passes."""
    try:
        verify_receipt(bundle, log_vkey, witness_keys=[witness_vkey], quorum=1)
    except VerificationError as exc:
        return exc.step
    return 0


def _cosignature_line(bundle: Bundle) -> tuple[str, str]:
    """(the note without the witness's cosignature line, that line)."""
    lines = bundle["checkpoint"].split("\n")
    [line] = [x for x in lines if x.startswith(f"— {WITNESS_NAME} ")]
    return "\n".join(x for x in lines if x != line), line


def _remove_cosignature(bundle: Bundle) -> None:
    bundle["checkpoint"], _ = _cosignature_line(bundle)


def _flip_cosignature_byte(at: int) -> Callable[[Bundle], None]:
    """Flip byte ``at`` of the cosignature: 0-3 key id, 4-11 timestamp, 12- signature."""

    def tamper(bundle: Bundle) -> None:
        _, line = _cosignature_line(bundle)
        name, encoded = line.removeprefix("— ").split(" ")
        raw = bytearray(base64.b64decode(encoded))
        raw[at] ^= 0x01
        flipped = f"— {name} {base64.b64encode(bytes(raw)).decode()}"
        bundle["checkpoint"] = bundle["checkpoint"].replace(line, flipped)

    return tamper


def test_a_witnessed_receipt_passes_all_seven_steps_with_the_cosignature_counted(
    witnessed_page: Page, witnessed: WitnessedLedger, witnessed_asset: str
) -> None:
    """With a quorum of one and the witness's key on the page, step 4 checks the witness's
    cosignature/v1 and passes, naming the witness; the Python verifier agrees."""
    state = _get_json(f"{witnessed.base_url}/api/ledger/assets/{witnessed_asset}")["state"]
    bundle = _get_json(f"{witnessed.base_url}/api/ledger/entries/{state['registered_at']}/receipt")
    assert f"— {WITNESS_NAME} " in bundle["checkpoint"]
    vkey = witnessed.log_vkeys[WITNESSED_ORIGIN]
    assert _python_step(bundle, vkey, witnessed.witness_vkey) == 0

    steps = _verify(witnessed_page, witnessed_asset)

    assert [cls for cls, _ in steps] == ["passed"] * 7, steps
    assert "cosigned by 1 of the page's witnesses (quorum 1)" in steps[3][1]
    assert WITNESS_NAME in steps[3][1]


@pytest.mark.parametrize(
    ("tamper", "failed_step", "reason"),
    [
        pytest.param(
            _remove_cosignature, 4, "0 of the trusted witnesses cosigned", id="no-cosignature"
        ),
        # A known witness's line that does not verify breaks the note (c2sp.org/signed-note):
        # the Python verifier stops at step 2, and so does the browser.
        pytest.param(
            _flip_cosignature_byte(40), 2, f"cosignature of witness {WITNESS_NAME}", id="sig-byte"
        ),
        pytest.param(
            _flip_cosignature_byte(11), 2, f"cosignature of witness {WITNESS_NAME}", id="time"
        ),
        # Another key id: a line of an unknown key, ignored, so no witness cosigned.
        pytest.param(
            _flip_cosignature_byte(0), 4, "0 of the trusted witnesses cosigned", id="key-id"
        ),
    ],
)
def test_a_tampered_cosignature_fails_where_the_python_verifier_fails(
    witnessed_page: Page,
    witnessed: WitnessedLedger,
    witnessed_asset: str,
    tamper: Callable[[Bundle], None],
    failed_step: int,
    reason: str,
) -> None:
    """A receipt whose cosignature is removed or altered fails at the step ``verify_receipt``
    names for the same bundle."""
    served: list[Bundle] = []

    def serve_tampered(route: Route) -> None:
        bundle = route.fetch().json()
        tamper(bundle)
        served.append(bundle)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(bundle))

    witnessed_page.route("**/api/ledger/entries/*/receipt", serve_tampered)

    steps = _verify(witnessed_page, witnessed_asset)

    [bundle] = served
    vkey = witnessed.log_vkeys[WITNESSED_ORIGIN]
    assert _python_step(bundle, vkey, witnessed.witness_vkey) == failed_step
    assert [cls for cls, _ in steps] == ["passed"] * (failed_step - 1) + ["failed"], steps
    assert reason in steps[-1][1]


@pytest.fixture(scope="module")
def rotated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WitnessedLedger, str]]:
    """A witnessed ledger with an asset registered in its first log, the ledger rotated to
    ``ROTATED_ORIGIN``, and the asset transferred in the new log; yields it and the asset."""
    with witnessed_ledger(tmp_path_factory.mktemp("ledger-rotated")) as ledger:
        owner = Ed25519PrivateKey.generate()
        asset_id = _register(ledger.base_url, b"guanxiu", "十六罗汉图", owner)
        rotation = ledger.platform.ledger.rotate(ROTATED_ORIGIN)
        assert rotation.vkey == ledger.log_vkeys[ROTATED_ORIGIN]
        state = _get_json(f"{ledger.base_url}/api/ledger/assets/{asset_id}")["state"]
        buyer = Ed25519PrivateKey.generate()
        transfer = make_transfer(owner, asset=asset_id, prev=state["head"], to=buyer.public_key())
        bundle = _post_leaf(ledger.base_url, encode_leaf(transfer))
        assert bundle["origin"] == ROTATED_ORIGIN
        yield ledger, asset_id


@pytest.fixture
def rotated_page(chromium: Browser, rotated: tuple[WitnessedLedger, str]) -> Iterator[Page]:
    page = _witnessed_page(chromium, rotated[0].base_url)
    yield page
    page.context.close()


def test_after_a_rotation_each_row_verifies_against_its_own_logs_key(
    rotated_page: Page, rotated: tuple[WitnessedLedger, str]
) -> None:
    """The register row (first log) and the transfer row (the new log) both pass all seven
    steps, each on a checkpoint of its own log signed by that log's key; the page names
    each row's log."""
    ledger, asset_id = rotated
    old_key, new_key = (
        ledger.log_vkeys[o].split("+")[:2] for o in (WITNESSED_ORIGIN, ROTATED_ORIGIN)
    )
    requested: list[str] = []
    rotated_page.on("request", lambda request: requested.append(request.url))

    register = _verify(rotated_page, asset_id, row=0)
    transfer = _verify(rotated_page, asset_id, row=1)

    assert rotated_page.locator("tr.statement td.log").all_inner_texts() == [
        WITNESSED_ORIGIN,
        ROTATED_ORIGIN,
    ]
    for steps, origin, key in (
        (register, WITNESSED_ORIGIN, old_key),
        (transfer, ROTATED_ORIGIN, new_key),
    ):
        assert [cls for cls, _ in steps] == ["passed"] * 7, steps
        assert "+".join(key) in steps[1][1]
        assert f"{origin} · " in steps[2][1]
        assert WITNESS_NAME in steps[3][1]
    receipts = [
        urllib.parse.urlsplit(u) for u in requested if u.endswith("/receipt") or "/receipt?" in u
    ]
    assert [urllib.parse.parse_qs(u.query).get("log") for u in receipts] == [
        [WITNESSED_ORIGIN],
        None,
    ]


def test_an_earlier_logs_row_refuses_a_receipt_of_the_open_log(
    rotated_page: Page, rotated: tuple[WitnessedLedger, str]
) -> None:
    """The register row asks for its log's receipt; served the open log's entry of the same
    index instead (signed by the new key), it fails at step 2, as the Python verifier does
    with the old log's key."""
    ledger, asset_id = rotated
    served: list[Bundle] = []

    def serve_other_log(route: Route) -> None:
        url = urllib.parse.urlsplit(route.request.url)
        assert urllib.parse.parse_qs(url.query)["log"] == [WITNESSED_ORIGIN]
        bundle = route.fetch(url=f"{url.scheme}://{url.netloc}{url.path}").json()
        served.append(bundle)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(bundle))

    rotated_page.route("**/api/ledger/entries/*/receipt?*", serve_other_log)

    steps = _verify(rotated_page, asset_id, row=0)

    [bundle] = served
    assert bundle["origin"] == ROTATED_ORIGIN
    vkey = ledger.log_vkeys[WITNESSED_ORIGIN]
    assert _python_step(bundle, vkey, ledger.witness_vkey) == 2
    assert [cls for cls, _ in steps] == ["passed", "failed"], steps
    assert "no signature by wenyuan.test/witnessed" in steps[-1][1]
