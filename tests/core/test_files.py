"""Durable file replacement."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from wenyuan.core.files import replace_atomically


def test_replace_atomically_writes_with_the_mode_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "state"
    target.write_bytes(b"old")
    replace_atomically(target, b"new", 0o640)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["state"]


def test_a_failed_replace_keeps_the_old_content(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        replace_atomically(tmp_path / "missing-folder" / "state", b"new")
    kept = tmp_path / "state"
    kept.write_bytes(b"old")
    with pytest.raises(TypeError):
        replace_atomically(kept, "not bytes")  # type: ignore[arg-type]  # fails mid-write
    assert kept.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["state"]
