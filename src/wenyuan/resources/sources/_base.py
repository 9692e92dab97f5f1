"""What a source adapter is: something that turns a publisher's files into records.

An adapter yields, in the source's own order, either a ``Record`` or a ``Rejected`` naming
the file, the position and the reason. It never stops at a bad record; it raises
``SourceError`` only when the whole source cannot be read (no such path, not an archive).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from wenyuan.resources._model import Record

__all__ = ["Item", "Rejected", "SourceAdapter"]


@dataclass(frozen=True, slots=True)
class Rejected:
    """A source record that could not be mapped, and why."""

    source: str
    file: str
    position: str
    reason: str


Item = Record | Rejected


class SourceAdapter(Protocol):
    """Reads one kind of source. ``name`` is what ``wenyuan ingest NAME PATH`` calls it."""

    name: str

    def read(self, path: Path) -> Iterator[Item]:
        """Yield every record (or rejection) found under ``path``, streaming."""
        ...
