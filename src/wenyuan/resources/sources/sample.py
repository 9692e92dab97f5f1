"""The built-in sample collection: a few hundred records that ship inside the package.

``make demo`` loads it so that a fresh install has something to search with no download:
classical poems (shi, ci, qu), well-known artefacts and artworks, heritage sites and the people
who made them. The data lives in ``wenyuan/resources/sample/*.toml``, one file per kind, written
by the Wenyuan project from public knowledge so a curator can read and edit it by hand.

Each TOML file holds arrays of tables (``[[poem]]``, ``[[artefact]]``, ``[[site]]``,
``[[person]]``; the table name is only for the reader). Top-level keys that are not arrays of
tables (``about = "..."``) are notes for curators and are ignored. The fields of an entry:

    id            required; a stable slug such as "poem/li-bai/jing-ye-si"
    type          required; one of ``RECORD_TYPES``
    title / name  required; the simplified Chinese title (``name`` for a person)
    title_en / name_en, author / creators, dynasty, date, year, earliest, latest,
    lines, form, tags, subjects, description_zh, description_en, url, notes, extra

Hazard: an entry with a missing or malformed field is yielded as ``Rejected`` (and the rest of
the file is read); a file that is not valid TOML raises ``SourceError`` naming the file and line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from wenyuan.core.errors import SourceError
from wenyuan.core.text import pinyin, to_traditional
from wenyuan.resources._model import RECORD_TYPES, Creator, Provenance, Record, TimeSpan
from wenyuan.resources.sources._base import Item, Rejected

__all__ = ["RIGHTS", "SampleSource", "sample_path"]

#: The rights statement every sample record carries.
RIGHTS = "Public domain text; descriptions and metadata written by the Wenyuan project (CC0 1.0)"

_SOURCE = "sample"

#: Every key an entry may have; anything else is a typo a curator should hear about.
_KNOWN = frozenset(
    {
        "id",
        "type",
        "title",
        "name",
        "title_en",
        "name_en",
        "author",
        "creators",
        "dynasty",
        "date",
        "year",
        "earliest",
        "latest",
        "lines",
        "form",
        "tags",
        "subjects",
        "description_zh",
        "description_en",
        "url",
        "notes",
        "extra",
    }
)

_LINE = re.compile(r"at line (\d+)")


class _Invalid(Exception):
    """An entry cannot be mapped; the message is the reason given in ``Rejected``."""


def sample_path() -> Path:
    """The folder of the sample TOML files inside the installed package."""
    return Path(__file__).resolve().parent.parent / "sample"


class SampleSource:
    """Reads the sample TOML files of a folder (by default the package's own)."""

    name = _SOURCE

    def read(self, path: Path | None = None) -> Iterator[Item]:
        """Yield a ``Record`` or a ``Rejected`` for every entry of every ``*.toml`` file.

        Files are read in name order and entries in file order. Ids must be unique across
        the whole folder: a repeated id is rejected where it repeats.
        """
        folder = sample_path() if path is None else path
        if not folder.is_dir():
            raise SourceError("no such folder", source=str(folder))
        seen: set[str] = set()
        for file in sorted(folder.glob("*.toml")):
            for position, entry in _entries(file):
                try:
                    record = _to_record(entry, file.name)
                except _Invalid as exc:
                    yield Rejected(_SOURCE, file.name, position, str(exc))
                    continue
                if record.source_id in seen:
                    yield Rejected(_SOURCE, file.name, position, "duplicate id")
                    continue
                seen.add(record.source_id)
                yield record


def _entries(file: Path) -> Iterator[tuple[str, Any]]:
    """``(position, entry)`` for each table of each array of tables in ``file``.

    The position is the entry's id where it has a usable one, else ``kind[index]``.
    """
    text = file.read_text(encoding="utf-8")
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _LINE.search(str(exc))
        line = int(found.group(1)) if found else text.count("\n") + 1
        raise SourceError(
            f"not valid TOML ({exc})", source=file.name, position=f"line {line}"
        ) from exc
    for kind, value in document.items():
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            continue
        for index, entry in enumerate(value):
            ident = entry.get("id")
            position = ident if isinstance(ident, str) and ident else f"{kind}[{index}]"
            yield position, entry


def _to_record(entry: Mapping[str, Any], file: str) -> Record:
    unknown = sorted(set(entry) - _KNOWN)
    if unknown:
        raise _Invalid(f"unknown field(s): {', '.join(unknown)}")
    ident = _required(entry, "id")
    kind = _required(entry, "type")
    if kind not in RECORD_TYPES:
        raise _Invalid(f"unknown type {kind!r}")
    title = _text(entry, "title") or _text(entry, "name")
    if not title:
        raise _Invalid("missing title (or name)")
    title_en = _text(entry, "title_en") or _text(entry, "name_en")
    labels = {"zh-Hans": title, "zh-Hant": to_traditional(title), "pinyin": pinyin(title)}
    if title_en:
        labels["en"] = title_en
    description = {
        key: value
        for key, value in (
            ("zh-Hans", _text(entry, "description_zh")),
            ("en", _text(entry, "description_en")),
        )
        if value
    }
    dynasty = _text(entry, "dynasty")
    form = _text(entry, "form")
    tags = _strings(entry, "tags")
    if not isinstance(entry.get("extra", {}), dict):
        raise _Invalid("extra must be a table")
    extra = dict(entry.get("extra", {}))
    if form:
        extra.setdefault("form", form)
        tags = [form, *(t for t in tags if t != form)]
    return Record(
        source=_SOURCE,
        source_id=ident,
        type=kind,
        labels=labels,
        provenance=Provenance(source=_SOURCE, file=file, position=ident),
        body=_strings(entry, "lines"),
        creators=_creators(entry, "author" if kind in ("poem", "ci", "qu") else "artist"),
        time=_time(entry, dynasty),
        dynasty=dynasty,
        subjects=_strings(entry, "subjects"),
        description=description,
        rights=RIGHTS,
        url=_text(entry, "url"),
        tags=tags,
        notes=_strings(entry, "notes"),
        extra=extra,
    )


def _text(entry: Mapping[str, Any], key: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Invalid(f"{key} must be a string")
    return value.strip() or None


def _required(entry: Mapping[str, Any], key: str) -> str:
    value = _text(entry, key)
    if value is None:
        raise _Invalid(f"missing {key}")
    return value


def _strings(entry: Mapping[str, Any], key: str) -> list[str]:
    value = entry.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid(f"{key} must be a list of strings")
    return [v.strip() for v in value if v.strip()]


def _creators(entry: Mapping[str, Any], role: str) -> list[Creator]:
    names = _strings(entry, "author") + _strings(entry, "creators")
    # The sample is written in simplified Chinese already; OpenCC would turn customary
    # forms of proper names (赵孟頫, 韩幹) into rare ones, so the name is kept as written.
    return [Creator(name=name, role=role, name_zh_hans=name, pinyin=pinyin(name)) for name in names]


def _year(entry: Mapping[str, Any], key: str) -> int | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(f"{key} must be an integer year (BCE negative)")
    if value == 0:
        raise _Invalid(f"{key} is 0: there is no year 0 (1 BCE is -1)")
    return value


def _time(entry: Mapping[str, Any], dynasty: str | None) -> TimeSpan | None:
    """The time span: ``year`` gives both ends, else ``earliest`` and ``latest``."""
    year = _year(entry, "year")
    earliest, latest = _year(entry, "earliest"), _year(entry, "latest")
    if year is not None:
        if earliest is not None or latest is not None:
            raise _Invalid("give year, or earliest and latest, not both")
        earliest = latest = year
    if earliest is not None and latest is not None and earliest > latest:
        raise _Invalid(f"earliest {earliest} is after latest {latest}")
    text = _text(entry, "date") or (str(year) if year is not None else dynasty)
    if text is None:
        return None
    return TimeSpan(text=text, earliest=earliest, latest=latest)
