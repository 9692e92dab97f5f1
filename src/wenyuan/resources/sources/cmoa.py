"""The Carnegie Museum of Art's collection (github.com/cmoa/collection, CC0) as records.

The publisher ships one JSON object per file under ``cmoa/``; ``CmoaSource`` reads them from
the folder, a ``.zip`` or the ``.tar.xz`` as shipped, one file at a time. Other JSON in the
release (``datapackage.json``) is not a record and is skipped.

Dates: the museum gives ``creation_date`` as written ("c. 1860", "664-525 BCE") and its own
reading as ISO dates in ``creation_date_earliest`` / ``creation_date_latest``; we keep the
text and take the years of the museum's reading. BCE years carry a leading minus and are
historical years ("-0009" for "9 BCE"), which is our convention too; a year 0, which neither
calendar has, is read as 1 BCE. Where the museum gives neither year the text goes to
``try_parse_date``.

Hazards: each file holds one record, so a record's position is always "1"; file names are
recorded from ``cmoa/`` on, the same from the folder and from the archive. ``source_id`` is
the publisher's id without its ``cmoa:`` prefix (``things/<uuid>``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import msgspec

from wenyuan.resources._model import Creator, Image, Provenance, Record, TimeSpan
from wenyuan.resources.dates import try_parse_date
from wenyuan.resources.sources._base import Item, Rejected
from wenyuan.resources.sources._common import chinese_labels, is_chinese, json_reason
from wenyuan.resources.sources._files import iter_files

__all__ = ["CmoaSource"]

SOURCE = "cmoa"


class _Creator(msgspec.Struct):
    full_name: str | None = None
    cited_name: str | None = None
    role: str | None = None
    nationality: str | None = None
    birth_date: str | None = None
    death_date: str | None = None


class _Image(msgspec.Struct):
    image_url: str | None = None


class _Thing(msgspec.Struct):
    id: str
    title: str | None = None
    creation_date: str | None = None
    creation_date_earliest: str | None = None
    creation_date_latest: str | None = None
    medium: str | None = None
    accession_number: str | None = None
    credit_line: str | None = None
    date_acquired: str | None = None
    department: str | None = None
    physical_location: str | None = None
    item_width: float | None = None
    item_height: float | None = None
    item_depth: float | None = None
    item_diameter: float | None = None
    web_url: str | None = None
    provenance_text: str | None = None
    classification: str | None = None
    images: list[_Image] | None = None
    creator: list[_Creator] | None = None


_decoder = msgspec.json.Decoder(_Thing)


def _wanted(name: PurePosixPath) -> bool:
    return name.suffix == ".json" and name.parent.name == "cmoa"


def _relative(name: PurePosixPath) -> str:
    parts = name.parts
    return "/".join(parts[-2:]) if len(parts) >= 2 else str(name)


def iso_year(value: str | None) -> int | None:
    """The year of an ISO date as the museum writes it, BCE negative, or None.

    >>> iso_year("1855-01-01"), iso_year("-0664-01-08"), iso_year(None), iso_year("n.d.")
    (1855, -664, None, None)
    """
    if not value:
        return None
    negative = value.startswith("-")
    head = value[1:] if negative else value
    digits = head.split("-", 1)[0]
    if not digits.isdigit():
        return None
    year = int(digits)
    if year == 0:
        return -1
    return -year if negative else year


def _time(thing: _Thing) -> TimeSpan | None:
    text = thing.creation_date or ""
    earliest = iso_year(thing.creation_date_earliest)
    latest = iso_year(thing.creation_date_latest)
    inverted = earliest is not None and latest is not None and earliest > latest
    if (earliest is not None or latest is not None) and not inverted:
        return TimeSpan(text=text, earliest=earliest, latest=latest)
    # No years from the museum, or years that end before they start (a handful of records):
    # read the date text instead.
    parsed = try_parse_date(text)
    if parsed is not None:
        return TimeSpan(
            text=text, earliest=parsed.earliest, latest=parsed.latest, label=parsed.label
        )
    return TimeSpan(text=text) if text else None


def _labels(title: str) -> dict[str, str]:
    labels = {"en": title}
    if is_chinese(title):
        labels.update(chinese_labels(title))
    return labels


def _dimensions(thing: _Thing) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in (
        ("width", thing.item_width),
        ("height", thing.item_height),
        ("depth", thing.item_depth),
        ("diameter", thing.item_diameter),
    ):
        if value:
            out[key] = value
    return out


def _record(thing: _Thing, file: str) -> Record:
    creators = [
        Creator(name=name, role=c.role or "creator")
        for c in thing.creator or ()
        if (name := c.full_name or c.cited_name)
    ]
    extra: dict[str, Any] = {}
    for key, value in (
        ("accession_number", thing.accession_number),
        ("medium", thing.medium),
        ("department", thing.department),
        ("classification", thing.classification),
        ("physical_location", thing.physical_location),
        ("credit_line", thing.credit_line),
        ("date_acquired", thing.date_acquired),
        ("provenance_text", thing.provenance_text),
    ):
        if value:
            extra[key] = value
    dimensions = _dimensions(thing)
    if dimensions:
        extra["dimensions_in"] = dimensions
    nationalities = [c.nationality for c in thing.creator or () if c.nationality]
    if nationalities:
        extra["creator_nationality"] = nationalities
    source_id = thing.id.removeprefix("cmoa:")
    return Record(
        source=SOURCE,
        source_id=source_id,
        type="artwork" if creators else "object",
        labels=_labels(thing.title) if thing.title else {},
        provenance=Provenance(source=SOURCE, file=file, position="1"),
        creators=creators,
        time=_time(thing),
        images=[Image(url=i.image_url) for i in thing.images or () if i.image_url],
        url=thing.web_url or None,
        extra=extra,
    )


class CmoaSource:
    """CMOA's objects, from the folder, a ``.zip`` or the ``.tar.xz``.

    >>> CmoaSource().name
    'cmoa'
    """

    name = SOURCE

    def read(self, path: Path) -> Iterator[Item]:
        """Yield a record (or a rejection) per object file, in archive order."""
        for name, data in iter_files(path, _wanted):
            file = _relative(name)
            try:
                thing = _decoder.decode(data)
            except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
                yield Rejected(SOURCE, file, "1", json_reason(exc))
                continue
            if not thing.id.strip():
                yield Rejected(SOURCE, file, "1", "missing id")
                continue
            yield _record(thing, file)
