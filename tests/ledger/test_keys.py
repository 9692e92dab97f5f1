"""Key files: created private, never overwritten by accident, refused when readable by others."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from wenyuan.core.errors import InvalidInput, NotFound, StorageError
from wenyuan.ledger._keys import (
    InsecureKeyFile,
    KeyFileExists,
    generate_key,
    load_cosignature_verifier,
    load_signer,
    load_verifier,
    public_key_path,
)
from wenyuan.ledger._note import KeyFormatError, open_note, sign_note


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask of 0, so only the mode we pass protects a new file."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    """A fresh signer key at tmp/log.key (and its vkey at tmp/log.key.pub)."""
    path = tmp_path / "log.key"
    generate_key(path, "example.com/log")
    return path


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_generate_key_writes_private_0600_and_public_vkey(tmp_path: Path, open_umask: None) -> None:
    """The signer key is mode 0600 even with umask 0; PATH.pub holds the returned vkey."""
    path = tmp_path / "w.key"
    vkey = generate_key(path, "witness.example/w1")
    assert _mode(path) == 0o600
    assert path.read_text().startswith("PRIVATE+KEY+witness.example/w1+")
    assert public_key_path(path) == tmp_path / "w.key.pub"
    assert public_key_path(path).read_text() == vkey + "\n"
    assert vkey.startswith("witness.example/w1+")


def test_loaded_keys_sign_and_verify(key_path: Path) -> None:
    """A loaded signer's notes open with the verifier loaded from PATH.pub or from its text."""
    signer = load_signer(key_path)
    note = sign_note("hello\n", [signer])
    pub = public_key_path(key_path)
    assert open_note(note, [load_verifier(pub)]).text == "hello\n"
    assert open_note(note, [load_verifier(pub.read_text())]).text == "hello\n"
    assert load_verifier(pub).vkey() == signer.vkey()


def test_existing_key_is_not_overwritten(key_path: Path) -> None:
    """A second generate_key on the same path is refused and leaves the key as it was."""
    before = key_path.read_bytes()
    with pytest.raises(KeyFileExists, match="overwrite"):
        generate_key(key_path, "example.com/log")
    assert key_path.read_bytes() == before


def test_existing_public_key_is_not_overwritten(tmp_path: Path) -> None:
    """A stray PATH.pub also stops generate_key, and no private key is written."""
    path = tmp_path / "k"
    public_key_path(path).write_text("keep me\n")
    with pytest.raises(KeyFileExists):
        generate_key(path, "n")
    assert not path.exists()
    assert public_key_path(path).read_text() == "keep me\n"


def test_overwrite_replaces_both_files(key_path: Path) -> None:
    """With overwrite=True a new key replaces the old, still mode 0600."""
    before = key_path.read_bytes()
    vkey = generate_key(key_path, "example.com/log", overwrite=True)
    assert key_path.read_bytes() != before
    assert _mode(key_path) == 0o600
    assert load_signer(key_path).vkey() == vkey
    assert not [p for p in key_path.parent.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660], ids=oct)
def test_key_readable_by_others_is_refused(key_path: Path, mode: int) -> None:
    """load_signer refuses a key file that group or others can read, saying chmod 600 PATH."""
    key_path.chmod(mode)
    with pytest.raises(InsecureKeyFile) as caught:
        load_signer(key_path)
    assert f"chmod 600 {key_path}" in str(caught.value)


def test_owner_only_modes_are_accepted(key_path: Path) -> None:
    """A read-only owner key (0400) loads."""
    key_path.chmod(0o400)
    assert load_signer(key_path).name == "example.com/log"


def test_missing_key_is_not_found(tmp_path: Path) -> None:
    """A missing key file is NotFound, naming the path."""
    with pytest.raises(NotFound, match="nope"):
        load_signer(tmp_path / "nope")
    with pytest.raises(NotFound):
        load_verifier(tmp_path / "nope.pub")


def test_symlinked_key_is_refused(key_path: Path, tmp_path: Path) -> None:
    """A key file reached through a symlink is not followed."""
    link = tmp_path / "link.key"
    link.symlink_to(key_path)
    with pytest.raises(StorageError):
        load_signer(link)


def test_garbage_key_file_is_refused_without_quoting(tmp_path: Path) -> None:
    """A file that is not a signer key is refused and its content is not echoed."""
    path = tmp_path / "bad.key"
    path.write_text("PRIVATE+KEY+n+00000000+c2VjcmV0c2VjcmV0\n")
    path.chmod(0o600)
    with pytest.raises(KeyFormatError) as caught:
        load_signer(path)
    assert "c2VjcmV0" not in str(caught.value)


def test_binary_key_file_is_refused(tmp_path: Path) -> None:
    """Non-ASCII bytes are not a signer key."""
    path = tmp_path / "bin.key"
    path.write_bytes(b"\xff\xfe")
    path.chmod(0o600)
    with pytest.raises(InvalidInput):
        load_signer(path)


def test_a_witness_key_loads_from_its_cosignature_vkey_or_its_pub_file(key_path: Path) -> None:
    """A witness's 0x04 vkey and its 0x01 .pub file give the same cosignature verifier; a
    note verifier does not load from a 0x04 vkey; a private key is refused, never quoted."""
    signer = load_signer(key_path)
    cosigner_vkey = signer.cosignature_verifier().vkey()
    expected = signer.cosignature_verifier().key_id
    assert load_cosignature_verifier(cosigner_vkey).key_id == expected
    assert load_cosignature_verifier(public_key_path(key_path)).key_id == expected
    with pytest.raises(KeyFormatError):
        load_verifier(cosigner_vkey)
    secret = key_path.read_text().strip()
    with pytest.raises(KeyFormatError) as caught:
        load_cosignature_verifier(secret)
    material = secret.split("+", 4)[4]  # PRIVATE+KEY+name+id+base64 (may hold "+")
    assert len(material) == 44
    assert material not in str(caught.value)
    assert "private key" in str(caught.value)


def test_invalid_name_writes_nothing(tmp_path: Path) -> None:
    """A key name with a space is refused before any file is created."""
    with pytest.raises(KeyFormatError):
        generate_key(tmp_path / "k", "bad name")
    assert list(tmp_path.iterdir()) == []
