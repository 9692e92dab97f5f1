"""Read a collection as its publisher ships it: a folder, a ``.zip`` or a ``.tar.xz``/``.tar.gz``.

Archives are streamed member by member in archive order, never unpacked to disk, so memory
does not grow with the collection. A caller that needs some files before others (an anthology
before the poems it tags) makes two passes with two predicates.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any

from wenyuan.core.errors import SourceError

__all__ = ["iter_files", "relative_name"]

Predicate = Callable[[PurePosixPath], bool]

_TAR_SUFFIXES = (".tar", ".tar.xz", ".txz", ".tar.gz", ".tgz", ".tar.bz2")


def relative_name(name: str) -> PurePosixPath:
    return PurePosixPath(name.replace("\\", "/"))


def iter_files(path: Path, want: Predicate) -> Iterator[tuple[PurePosixPath, bytes]]:
    """Yield ``(name, content)`` for each regular file under ``path`` that ``want`` accepts.

    Names are relative to the folder or archive root, with ``/`` separators. Files come in
    sorted order from a folder and in archive order from an archive.
    """
    if not path.exists():
        raise SourceError("no such file or folder", source=str(path))
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            name = PurePosixPath(file.relative_to(path).as_posix())
            if want(name):
                yield name, file.read_bytes()
        return
    lower = path.name.lower()
    if lower.endswith(".zip"):
        yield from _iter_zip(path, want)
    elif lower.endswith(_TAR_SUFFIXES):
        yield from _iter_tar(path, want)
    else:
        name = PurePosixPath(path.name)
        if want(name):
            yield name, path.read_bytes()


def _iter_zip(path: Path, want: Predicate) -> Iterator[tuple[PurePosixPath, bytes]]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(f"not a readable zip archive ({exc})", source=str(path)) from exc
    with archive:
        for info in archive.infolist():
            name = relative_name(info.filename)
            if info.is_dir() or not want(name):
                continue
            try:
                yield name, archive.read(info)
            except (zipfile.BadZipFile, OSError) as exc:
                raise SourceError(
                    f"damaged archive member ({exc})", source=str(path), position=str(name)
                ) from exc


def _open_compressed(path: Path) -> IO[bytes]:
    """The decompressed byte stream of a tar archive, buffered in 1 MiB reads.

    tarfile's own streaming mode reads the compressed file in 10 KiB blocks; decompressing
    through lzma/gzip/bz2 with a large buffer reads Tate's 72,000-file archive in about two
    thirds of the time.
    """
    lower = path.name.lower()
    raw: Any
    if lower.endswith((".xz", ".txz")):
        raw = lzma.open(path)  # noqa: SIM115 - closed with the tar stream
    elif lower.endswith((".gz", ".tgz")):
        raw = gzip.open(path)  # noqa: SIM115 - closed with the tar stream
    elif lower.endswith(".bz2"):
        raw = bz2.open(path)  # noqa: SIM115 - closed with the tar stream
    else:
        raw = path.open("rb")
    return io.BufferedReader(raw, buffer_size=1 << 20)


def _iter_tar(path: Path, want: Predicate) -> Iterator[tuple[PurePosixPath, bytes]]:
    try:
        stream = _open_compressed(path)
        archive = tarfile.open(fileobj=stream, mode="r|")  # noqa: SIM115 - closed below
    except (tarfile.TarError, OSError, EOFError, lzma.LZMAError) as exc:
        raise SourceError(f"not a readable tar archive ({exc})", source=str(path)) from exc
    with stream, archive:
        try:
            for member in archive:
                name = relative_name(member.name)
                if not member.isfile() or not want(name):
                    continue
                handle = archive.extractfile(member)
                if handle is not None:
                    yield name, handle.read()
        except (tarfile.TarError, OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
            raise SourceError(f"damaged tar archive ({exc})", source=str(path)) from exc
