"""The demo's ledger sample: sample artworks registered, one transferred, one licensed."""

from __future__ import annotations

from wenyuan.app import Platform
from wenyuan.core.config import Settings
from wenyuan.ledger import verify_receipt


def test_the_sample_statements_verify_and_load_once(sqlite_settings: Settings) -> None:
    platform = Platform(sqlite_settings)
    try:
        platform.load_sample()
        assert platform.load_ledger_sample() == 10
        assert platform.load_ledger_sample() == 0  # idempotent
        ledger = platform.ledger
        summary = ledger.summary()
        assert (summary["size"], summary["assets"]) == (10, 8)
        transfer = ledger.receipt(8, wait=5)
        assert verify_receipt(transfer, ledger.vkey).statement["kind"] == "transfer"
        first = ledger.registry.assets(limit=8)
        kinds = sorted(
            [e["kind"] for e in ledger.history(a.asset_id)]
            for a in first
            if len(ledger.history(a.asset_id)) > 1
        )
        assert kinds == [["register", "grant-licence"], ["register", "transfer"]]
        assert len(ledger.registry.check_replay()) == 8
        assert (sqlite_settings.data_dir / "keys" / "demo-museum.key").stat().st_mode & 0o077 == 0
    finally:
        platform.close()
