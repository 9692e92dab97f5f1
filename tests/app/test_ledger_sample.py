"""The demo's ledger sample: sample artworks registered, one transferred, one licensed."""

from __future__ import annotations

import pytest

from wenyuan.app import Platform
from wenyuan.core.config import Settings
from wenyuan.core.errors import StorageError
from wenyuan.ledger import Receipt, verify_receipt


def test_the_sample_statements_verify_and_load_once(sqlite_settings: Settings) -> None:
    platform = Platform(sqlite_settings)
    try:
        platform.load_sample()
        with pytest.raises(StorageError, match="not open for writing"):
            platform.load_ledger_sample()  # writing needs the ledger opened first
        platform.ledger.open()
        assert platform.load_ledger_sample() == 10
        assert platform.load_ledger_sample() == 0  # idempotent
        ledger = platform.ledger
        summary = ledger.summary()
        assert (summary.size, summary.assets) == (10, 8)
        transfer = ledger.receipt(8, wait=5)
        assert isinstance(transfer, Receipt)
        assert verify_receipt(transfer, ledger.public_key()).statement["kind"] == "transfer"
        first = ledger.assets(limit=8).items
        kinds = sorted(
            [e.kind for e in ledger.history(a.asset_id).entries]
            for a in first
            if len(ledger.history(a.asset_id).entries) > 1
        )
        assert kinds == [["register", "grant-licence"], ["register", "transfer"]]
        assert len(ledger.replay()) == 8
        assert (sqlite_settings.data_dir / "keys" / "demo-museum.key").stat().st_mode & 0o077 == 0
    finally:
        platform.close()
