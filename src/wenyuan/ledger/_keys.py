"""Key files for note signers: a private signer key beside its public verifier key.

``generate_key(PATH, name)`` writes the secret signer key text (c2sp.org/signed-note form,
``PRIVATE+KEY+name+hexid+base64(0x01 ‖ seed)``) to PATH and the vkey to PATH.pub.

Hazards: PATH holds a secret. It MUST be created with mode 0600 and no other (never written
first and chmod-ed later), MUST NOT silently replace an existing key, and ``load_signer``
MUST refuse a key file that group or others can read. Nothing here logs, and errors never
quote a key file's contents.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from wenyuan.core.errors import Conflict, InvalidInput, NotFound, StorageError
from wenyuan.core.files import fsync_dir, replace_atomically
from wenyuan.ledger._note import CosignatureVerifier, NoteSigner, NoteVerifier, witness_verifier

__all__ = [
    "InsecureKeyFile",
    "KeyFileExists",
    "generate_key",
    "load_cosignature_verifier",
    "load_signer",
    "load_verifier",
    "public_key_path",
]

_MAX_KEY_FILE = 4096  # a signer key is ~100 bytes; anything larger is not a key file


class KeyFileExists(Conflict):
    """A key file is already there: keep it, choose another path, or pass ``overwrite=True``."""

    title = "Key file exists"
    type_slug = "key-file-exists"


class InsecureKeyFile(InvalidInput):
    """A private key file is readable by group or others: run ``chmod 600`` on it first."""

    title = "Key file permissions too open"
    type_slug = "insecure-key-file"


def public_key_path(path: Path) -> Path:
    """Where the verifier key of the signer key at ``path`` lives: ``path`` + ``.pub``."""
    return path.with_name(path.name + ".pub")


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` with ``mode`` and write ``data``, failing if it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def generate_key(path: Path, name: str, *, overwrite: bool = False) -> str:
    """Create a new Ed25519 signer key named ``name``; return its vkey.

    The signer key goes to ``path`` (mode 0600, created exclusively), the vkey and a newline
    to ``path.pub`` (mode 0644). Raise ``KeyFileExists`` if either file exists and
    ``overwrite`` is false, ``KeyFormatError`` for an invalid name, ``StorageError`` if the
    disk fails. Both files are durable when this returns.
    """
    signer = NoteSigner.generate(name)
    public_path = public_key_path(path)
    secret = (signer.signer_key() + "\n").encode()
    public = (signer.vkey() + "\n").encode()
    try:
        if overwrite:
            replace_atomically(path, secret, 0o600)
            replace_atomically(public_path, public, 0o644)
        else:
            for existing in (path, public_path):
                if existing.exists() or existing.is_symlink():
                    raise KeyFileExists(
                        f"{existing} exists; refusing to overwrite a key (pass overwrite=True)",
                        path=str(existing),
                    )
            _write_new(path, secret, 0o600)
            _write_new(public_path, public, 0o644)
        fsync_dir(path.parent)
    except FileExistsError as exc:
        raise KeyFileExists(
            f"{exc.filename} appeared while writing; refusing to overwrite it", path=str(path)
        ) from exc
    except OSError as exc:
        raise StorageError(f"cannot write key file {path}: {exc.strerror}", path=str(path)) from exc
    return signer.vkey()


def load_signer(path: Path) -> NoteSigner:
    """Read the signer key at ``path``.

    Raise ``NotFound`` if there is no such file, ``InsecureKeyFile`` if group or others may
    read it (the message says ``chmod 600 PATH``), ``KeyFormatError`` if it is not a signer
    key (without quoting it), ``StorageError`` if it cannot be read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError as exc:
        raise NotFound(f"no signer key file at {path}", path=str(path)) from exc
    except OSError as exc:
        raise StorageError(f"cannot open key file {path}: {exc.strerror}", path=str(path)) from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InsecureKeyFile(f"{path} is not a regular file", path=str(path))
        if info.st_mode & 0o077:
            raise InsecureKeyFile(
                f"key file {path} is accessible by group or others "
                f"(mode {stat.S_IMODE(info.st_mode):04o}): run chmod 600 {path}",
                path=str(path),
            )
        data = os.read(fd, _MAX_KEY_FILE + 1)
    except OSError as exc:
        raise StorageError(f"cannot read key file {path}: {exc.strerror}", path=str(path)) from exc
    finally:
        os.close(fd)
    if len(data) > _MAX_KEY_FILE:
        raise InvalidInput(f"{path} is too large to be a signer key", path=str(path))
    try:
        text = data.decode("utf-8")  # key names may be any Unicode the spec allows
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path} is not a signer key (not UTF-8)", path=str(path)) from exc
    return NoteSigner.from_signer_key(text.removesuffix("\n"))


def _vkey_text(text_or_path: str | Path) -> str:
    if isinstance(text_or_path, str):
        return text_or_path.strip()
    try:
        return text_or_path.read_text(encoding="utf-8").strip()
    except FileNotFoundError as exc:
        raise NotFound(f"no verifier key file at {text_or_path}", path=str(text_or_path)) from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{text_or_path} is not UTF-8 text", path=str(text_or_path)) from exc
    except OSError as exc:
        raise StorageError(
            f"cannot read {text_or_path}: {exc.strerror}", path=str(text_or_path)
        ) from exc


def load_verifier(text_or_path: str | Path) -> NoteVerifier:
    """A note verifier from vkey text (a ``str``) or from the file at a ``Path``.

    Raise ``KeyFormatError`` unless it is an Ed25519 note vkey (type 0x01).
    """
    return NoteVerifier.from_vkey(_vkey_text(text_or_path))


def load_cosignature_verifier(text_or_path: str | Path) -> CosignatureVerifier:
    """A witness's cosignature verifier from vkey text (``str``) or a file (``Path``).

    Either the witness's cosignature vkey (type 0x04, what ``wenyuan ledger witness``
    prints) or its note vkey (type 0x01, its ``.pub`` file) is accepted.
    """
    return witness_verifier(_vkey_text(text_or_path))
