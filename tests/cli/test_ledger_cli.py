"""wenyuan keys / ledger / verify: a party registers a file and verifies its receipt offline."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from wenyuan.app import Platform
from wenyuan.cli import app
from wenyuan.core.config import get_settings
from wenyuan.ledger import (
    NoteSigner,
    Receipt,
    TileReader,
    encode_leaf,
    load_signer,
    make_register,
)
from wenyuan.ledger._mirror import mirror_fetcher

runner = CliRunner()

# Runs `wenyuan verify` with every way to open a connection replaced by one that fails.
_OFFLINE = """
import socket, sys
def refuse(*args, **kwargs):
    raise OSError("networking is disabled for this test")
class NoSocket(socket.socket):
    def __init__(self, *args, **kwargs):
        refuse()
socket.socket = NoSocket
socket.create_connection = refuse
socket.getaddrinfo = refuse
from wenyuan.cli import main
sys.argv = ["wenyuan", *sys.argv[1:]]
main()
"""


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("WENYUAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WENYUAN_LEDGER_ORIGIN", "cli.test.wenyuan.example/ledger")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _offline_verify(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _OFFLINE, "verify", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "WENYUAN_DATA_DIR": "/nonexistent/never-read"},
    )


def test_register_then_verify_offline(data_dir: Path) -> None:
    key = data_dir / "alice.key"
    made = runner.invoke(app, ["keys", "new", str(key), "--name", "museum.example/alice"])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (data_dir / "alice.key.pub").read_text().startswith("museum.example/alice+")

    work = data_dir / "scan.txt"
    work.write_bytes("《千里江山图》 scan".encode())
    registered = runner.invoke(
        app,
        [
            "ledger",
            "register",
            str(work),
            "--key",
            str(key),
            "--title",
            "千里江山图",
            "--creator",
            "王希孟",
            "--json",
        ],
    )
    assert registered.exit_code == 0, registered.output
    bundle = json.loads(registered.stdout)
    assert bundle["statement"]["title"] == "千里江山图"
    assert bundle["statement"]["media_type"] == "text/plain"
    receipt = data_dir / "receipt.json"
    receipt.write_text(registered.stdout)

    vkey = runner.invoke(app, ["ledger", "public-key"]).stdout.strip()
    assert vkey.startswith("cli.test.wenyuan.example/ledger+")
    log_key = data_dir / "log.vkey"
    log_key.write_text(vkey + "\n")

    verified = _offline_verify(str(receipt), "--log-key", str(log_key), "--json")
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["verified"] is True

    # The same content again is refused, with one clear line and exit status 1.
    again = runner.invoke(
        app, ["ledger", "register", str(work), "--key", str(key), "--title", "copy"]
    )
    assert again.exit_code == 1
    assert "already registered" in again.output

    mirrored = runner.invoke(app, ["ledger", "mirror", str(data_dir / "mirror")])
    assert mirrored.exit_code == 0, mirrored.output
    reader = TileReader(mirror_fetcher(data_dir / "mirror"), 1)
    assert base64.b64encode(reader.leaf(0)).decode() == bundle["leaf"]
    assert (data_dir / "mirror" / "checkpoint").read_text() == bundle["checkpoint"]

    replayed = runner.invoke(app, ["ledger", "replay"])
    assert replayed.exit_code == 0, replayed.output
    assert "1 assets, identical" in replayed.stdout

    tampered = json.loads(receipt.read_text())
    tampered["tree_size"] += 1
    receipt.write_text(json.dumps(tampered))
    failed = _offline_verify(str(receipt), "--log-key", vkey)
    assert failed.returncode == 1
    assert "✗ 3." in failed.stdout


def test_a_key_file_others_can_read_is_refused(data_dir: Path) -> None:
    key = data_dir / "bob.key"
    assert runner.invoke(app, ["keys", "new", str(key)]).exit_code == 0
    assert runner.invoke(app, ["keys", "new", str(key)]).exit_code == 1  # never overwritten
    key.chmod(0o644)
    work = data_dir / "a.txt"
    work.write_text("a")
    result = runner.invoke(
        app, ["ledger", "register", str(work), "--key", str(key), "--title", "a"]
    )
    assert result.exit_code == 1
    assert "chmod 600" in result.output


def test_transfer_grant_and_revoke_from_the_command_line(data_dir: Path) -> None:
    museum, press = data_dir / "museum.key", data_dir / "press.key"
    for key in (museum, press):
        assert runner.invoke(app, ["keys", "new", str(key)]).exit_code == 0
    work = data_dir / "ding.txt"
    work.write_text("后母戊鼎")
    made = runner.invoke(
        app,
        ["ledger", "register", str(work), "--key", str(museum), "--title", "后母戊鼎", "--json"],
    )
    assert made.exit_code == 0, made.output
    asset = "sha256:" + json.loads(made.stdout)["statement"]["content_sha256"]

    granted = runner.invoke(
        app,
        [
            "ledger",
            "grant-licence",
            asset,
            "--key",
            str(museum),
            "--to",
            f"{press}.pub",
            "--terms",
            "CC-BY-4.0",
            "--expires",
            "2030-12-31T00:00:00",
            "--json",
        ],
    )
    assert granted.exit_code == 0, granted.output
    statement = json.loads(granted.stdout)["statement"]
    assert statement["expires"] == "2030-12-31T00:00:00Z"
    licence = hashlib.sha256(base64.b64decode(json.loads(granted.stdout)["leaf"])).hexdigest()

    # The press cannot revoke the museum's licence; the museum can.
    refused = runner.invoke(
        app, ["ledger", "revoke", asset, "--key", str(press), "--licence", licence]
    )
    assert refused.exit_code == 1
    revoked = runner.invoke(
        app, ["ledger", "revoke", asset, "--key", str(museum), "--licence", licence, "--json"]
    )
    assert revoked.exit_code == 0, revoked.output

    moved = runner.invoke(
        app, ["ledger", "transfer", asset, "--key", str(museum), "--to", f"{press}.pub", "--json"]
    )
    assert moved.exit_code == 0, moved.output
    again = runner.invoke(
        app, ["ledger", "transfer", asset, "--key", str(museum), "--to", f"{press}.pub"]
    )
    assert again.exit_code == 1  # the museum no longer owns it
    assert runner.invoke(app, ["ledger", "replay"]).exit_code == 0


def _unreachable_witness(monkeypatch: pytest.MonkeyPatch) -> None:
    """Configure one witness that never answers (port 9 refuses) and a quorum of one: no
    checkpoint is ever trusted, so no receipt is ever ready."""
    vkey = NoteSigner.generate("witness.test/unreachable").cosignature_verifier().vkey()
    monkeypatch.setenv(
        "WENYUAN_LEDGER_WITNESSES", json.dumps([{"url": "http://127.0.0.1:9", "vkey": vkey}])
    )
    monkeypatch.setenv("WENYUAN_LEDGER_QUORUM", "1")
    monkeypatch.setenv("WENYUAN_LEDGER_CHECKPOINT_INTERVAL", "0.05")
    get_settings.cache_clear()


def _scan(data_dir: Path, text: str) -> tuple[Path, Path]:
    key = data_dir / "museum.key"
    if not key.exists():
        assert runner.invoke(app, ["keys", "new", str(key)]).exit_code == 0
    work = data_dir / f"{text}.txt"
    work.write_text(text, encoding="utf-8")
    return key, work


def test_a_receipt_not_ready_says_where_to_fetch_it(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Registered while the witnesses' quorum is out of reach, the statement is appended and
    the command says where to fetch its receipt later, in text and as JSON."""
    _unreachable_witness(monkeypatch)
    key, work = _scan(data_dir, "钟鼎")
    text = runner.invoke(
        app, ["ledger", "register", str(work), "--key", str(key), "--title", "钟鼎", "--wait", "0"]
    )
    assert text.exit_code == 0, text.output
    assert " ".join(text.stdout.split()) == (
        "Appended as entry 0; the receipt is not ready yet: fetch "
        "/api/ledger/entries/0/receipt later."
    )
    key, work = _scan(data_dir, "玉璧")
    register = ["ledger", "register", str(work), "--key", str(key), "--title", "玉璧"]
    as_json = runner.invoke(app, [*register, "--wait", "0", "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == {
        "leaf_index": 1,
        "receipt": "/api/ledger/entries/1/receipt",
    }


def test_a_server_answering_not_ready_gives_the_same_pending_answer(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``--server``, a 202 from the server prints the same pending answer as a local
    append; a 201 prints the receipt as the server sent it, byte for byte."""
    from tests.web.conftest import serving

    _unreachable_witness(monkeypatch)
    platform = Platform(get_settings())
    try:
        with serving(platform) as url:
            key, work = _scan(data_dir, "铜镜")
            register = ["ledger", "register", str(work), "--key", str(key), "--title", "铜镜"]
            sent = runner.invoke(app, [*register, "--server", url, "--wait", "0", "--json"])
            assert sent.exit_code == 0, sent.output
            assert json.loads(sent.stdout) == {
                "leaf_index": 0,
                "receipt": "/api/ledger/entries/0/receipt",
            }
            served = httpx.get(f"{url}/api/ledger/entries/0/receipt", timeout=10)
            assert served.status_code == 202
            assert served.json() == json.loads(sent.stdout)
    finally:
        platform.close()


def test_the_reading_commands_run_beside_a_writer(data_dir: Path) -> None:
    """While another process holds the log for writing, status, mirror, replay and
    public-key answer from the database; register without --server is refused."""
    platform = Platform(get_settings())
    try:
        platform.ledger.open()
        key, work = _scan(data_dir, "漆器")
        leaf = encode_leaf(
            make_register(
                load_signer(key).ed25519_private_key(),
                content_sha256=hashlib.sha256(work.read_bytes()).hexdigest(),
                media_type="text/plain",
                title="漆器",
            )
        )
        receipt = platform.ledger.append(leaf, wait=5)
        assert isinstance(receipt, Receipt)

        status = runner.invoke(app, ["ledger", "status", "--json"])
        assert status.exit_code == 0, status.output
        shown = json.loads(status.stdout)
        assert {k: v for k, v in shown.items() if k != "checkpoint"} == {
            "origin": "cli.test.wenyuan.example/ledger",
            "vkey": platform.ledger.public_key(),
            "size": 1,
            "quorum": 0,
            "witnesses": [],
        }
        assert (shown["checkpoint"]["size"], shown["checkpoint"]["cosignatures"]) == (1, 0)
        text = runner.invoke(app, ["ledger", "status"])
        assert " ".join(text.stdout.split()) == (
            "cli.test.wenyuan.example/ledger: 1 entries; trusted checkpoint size 1; "
            "quorum 0 of 0 witnesses"
        )
        mirrored = runner.invoke(app, ["ledger", "mirror", str(data_dir / "mirror")])
        assert mirrored.exit_code == 0, mirrored.output
        assert (data_dir / "mirror" / "checkpoint").read_text() == receipt.checkpoint
        replayed = runner.invoke(app, ["ledger", "replay"])
        assert replayed.exit_code == 0, replayed.output
        assert "1 assets, identical" in replayed.stdout
        vkey = runner.invoke(app, ["ledger", "public-key"])
        assert vkey.stdout.strip() == platform.ledger.public_key()

        again = runner.invoke(
            app, ["ledger", "register", str(work), "--key", str(key), "--title", "漆器"]
        )
        assert again.exit_code == 1
        assert "open for writing in another process" in " ".join(again.output.split())
    finally:
        platform.close()
