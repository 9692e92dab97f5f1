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

import pytest
from typer.testing import CliRunner

from wenyuan.cli import app
from wenyuan.core.config import get_settings
from wenyuan.ledger import TileReader
from wenyuan.ledger.mirror import mirror_fetcher

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
