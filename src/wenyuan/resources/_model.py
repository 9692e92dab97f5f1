"""The record model: one cultural resource as Wenyuan stores it.

A ``Record`` keeps what the source wrote (labels, body text, dates as written) beside what we
derived (simplified and traditional labels, pinyin, a parsed time span). Records are
``msgspec`` structs: they validate on decode and encode to canonical JSON fast, which the
ingest pipeline needs for content hashing at thousands of records a second. The JSON API's
record schemas are built from these structs, field by field; a field's
``msgspec.Meta(description=…)`` is its description there.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import msgspec

from wenyuan.core.ids import record_id

__all__ = [
    "RECORD_TYPES",
    "Creator",
    "Image",
    "Provenance",
    "Record",
    "TimeSpan",
    "decode_record",
    "encode_record",
]

#: The kinds of resource Wenyuan knows; sources map theirs onto these.
RECORD_TYPES = frozenset(
    {
        "poem",  # shi 诗
        "ci",  # ci 词
        "qu",  # qu 曲
        "artwork",
        "object",
        "text",
        "person",
        "place",
        "site",
        "event",
    }
)

#: Keys allowed in ``Record.labels`` and ``Record.description``.
LABEL_KEYS = ("zh-Hans", "zh-Hant", "en", "pinyin")


class Creator(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    """A person or body who made the resource, with the name as the source wrote it."""

    name: Annotated[str, msgspec.Meta(description="The name as the source wrote it.")]
    role: str = "creator"
    name_zh_hans: str | None = None
    pinyin: str | None = None
    person_id: str | None = None


class TimeSpan(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    """When: the original text and, where parsed, the earliest and latest year (BCE < 0)."""

    text: Annotated[str, msgspec.Meta(description="The date as the source wrote it.")]
    earliest: Annotated[int | None, msgspec.Meta(description="Earliest year, BCE < 0.")] = None
    latest: Annotated[int | None, msgspec.Meta(description="Latest year, BCE < 0.")] = None
    label: str | None = None


class Image(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    url: str
    caption: str | None = None


class Provenance(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    """Where the record came from: source, file inside it and position in the file."""

    source: str
    file: str = ""
    position: str = ""


class Record(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    """One cultural resource.

    ``source`` + ``source_id`` identify it; ``id`` is derived from them and stable across
    re-ingest. ``labels`` maps ``zh-Hans`` / ``zh-Hant`` / ``en`` / ``pinyin`` to a title.
    """

    source: str
    source_id: str
    type: str
    labels: Annotated[
        dict[str, str],
        msgspec.Meta(description="Titles by language: zh-Hans, zh-Hant, en, pinyin."),
    ]
    provenance: Provenance
    body: list[str] = []
    creators: list[Creator] = []
    time: TimeSpan | None = None
    dynasty: str | None = None
    subjects: list[str] = []
    description: dict[str, str] = {}
    images: list[Image] = []
    rights: str | None = None
    url: str | None = None
    tags: list[str] = []
    flags: list[str] = []
    notes: list[str] = []
    extra: dict[str, Any] = {}
    #: Text to index instead of ``body`` where the source's own writing needs repair (for
    #: example chinese-poetry's ``{上休下鳥}`` placeholders resolved); ``body`` stays as written.
    search_text: str | None = None

    @property
    def id(self) -> str:
        return record_id(self.source, self.source_id)

    def title(self, lang: str = "zh-Hans") -> str:
        """The best label for ``lang``, falling back through the other languages."""
        order = {
            "en": ("en", "zh-Hans", "zh-Hant", "pinyin"),
            "zh-Hant": ("zh-Hant", "zh-Hans", "en", "pinyin"),
        }.get(lang, ("zh-Hans", "zh-Hant", "en", "pinyin"))
        for key in order:
            if self.labels.get(key):
                return self.labels[key]
        return self.source_id

    def content_hash(self) -> str:
        """SHA-256 of the canonical encoding: equal records hash equal, on any machine."""
        return hashlib.sha256(encode_record(self)).hexdigest()


_encoder = msgspec.json.Encoder(order="deterministic")
_decoder = msgspec.json.Decoder(Record)


def encode_record(record: Record) -> bytes:
    """Canonical JSON of ``record`` (sorted keys, defaults omitted)."""
    return _encoder.encode(record)


def decode_record(data: bytes | str) -> Record:
    """Decode and validate a record; raises ``msgspec.ValidationError`` on a bad one."""
    return _decoder.decode(data)
