"""Tate's collection (github.com/tategallery/collection, CC0) as records.

The publisher ships one JSON file per artwork under ``artworks/`` (filed by accession
number) and one per artist under ``artists/``; ``TateSource`` reads both, from the folder,
a ``.zip`` or the ``.tar.xz`` as shipped, one file at a time. ``processed/`` (derived subject
lists) and the flattened CSVs are skipped: the JSON is the richer form of the same data, and
``artist_data.csv`` is read with the CSV adapter and a mapping when wanted.

Artworks become ``artwork/<id>`` records (type "artwork" when they name a contributor,
"object" otherwise) and artists ``artist/<id>`` records of type "person"; each artwork's
creators link to their artist record through ``Creator.person_id``.

Hazards: file names are recorded relative to the collection root (from ``artworks/`` or
``artists/`` on), so the same record has the same provenance whether it was read from the
folder or from the archive. Each file holds one record, so a record's position is always
"1". About 5,400 artworks have no ``dateRange`` ("date not known"): their time span keeps
the text with no years.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import msgspec

from wenyuan.core.ids import record_id
from wenyuan.resources._model import Creator, Image, Provenance, Record, TimeSpan
from wenyuan.resources.dates import try_parse_date
from wenyuan.resources.sources._base import Item, Rejected
from wenyuan.resources.sources._common import chinese_labels, is_chinese, json_reason
from wenyuan.resources.sources._files import iter_files

__all__ = ["TateSource"]

SOURCE = "tate"
#: Tate's image server; ``additionalImages`` give paths relative to it.
IMAGE_BASE = "http://www.tate.org.uk/art/images/work/"


# The publisher's shapes, as far as we read them; msgspec checks the types on decode and
# ignores the fields we do not name.


class _DateRange(msgspec.Struct):
    # 32 artworks give years as strings ("2006"): accepted and converted.
    startYear: int | str | None = None
    endYear: int | str | None = None
    text: str | None = None


class _Contributor(msgspec.Struct):
    fc: str
    id: int | None = None
    role: str | None = None


class _Subject(msgspec.Struct):
    name: str | None = None
    children: list[_Subject] = []


class _ImageSize(msgspec.Struct):
    file: str
    caption: str | None = None


class _AdditionalImage(msgspec.Struct):
    sizes: list[_ImageSize] = []


class _Movement(msgspec.Struct):
    name: str


class _Artwork(msgspec.Struct):
    id: int
    title: str
    acno: str | None = None
    dateText: str | None = None
    dateRange: _DateRange | None = None
    contributors: list[_Contributor] = []
    medium: str | None = None
    dimensions: str | None = None
    subjects: _Subject | None = None
    thumbnailUrl: str | None = None
    thumbnailCopyright: str | None = None
    additionalImages: list[_AdditionalImage] = []
    url: str | None = None
    creditLine: str | None = None
    classification: str | None = None
    acquisitionYear: int | None = None
    foreignTitle: str | None = None
    groupTitle: str | None = None
    inscription: str | None = None
    movements: list[_Movement] = []


class _Place(msgspec.Struct):
    name: str | None = None


class _Time(msgspec.Struct):
    startYear: int | None = None


class _Event(msgspec.Struct):
    place: _Place | None = None
    time: _Time | None = None


class _Artist(msgspec.Struct):
    id: int
    fc: str
    date: str | None = None
    gender: str | None = None
    birthYear: int | None = None
    birth: _Event | None = None
    death: _Event | None = None
    mda: str | None = None
    url: str | None = None
    movements: list[_Movement] = []


_artwork_decoder = msgspec.json.Decoder(_Artwork)
_artist_decoder = msgspec.json.Decoder(_Artist)


def _wanted(name: PurePosixPath) -> bool:
    if name.suffix != ".json":
        return False
    parts = name.parts
    return "artworks" in parts or "artists" in parts


def _relative(name: PurePosixPath) -> tuple[str, str]:
    """``(kind, name from the collection root)``: kind is "artworks" or "artists"."""
    parts = name.parts
    for i, part in enumerate(parts):
        if part in ("artworks", "artists"):
            return part, "/".join(parts[i:])
    return "", str(name)  # pragma: no cover - _wanted admits no other name


def _labels(title: str) -> dict[str, str]:
    labels = {"en": title}
    if is_chinese(title):
        labels.update(chinese_labels(title))
    return labels


def _leaf_subjects(node: _Subject, out: list[str]) -> None:
    for child in node.children:
        if child.children:
            _leaf_subjects(child, out)
        elif child.name and child.name not in out:
            out.append(child.name)


def _year(value: int | str | None) -> int | None:
    if isinstance(value, str):
        value = value.strip()
        return int(value) if value.lstrip("-").isdigit() else None
    return value


def _artwork_time(art: _Artwork) -> TimeSpan | None:
    text = art.dateText or ""
    span = art.dateRange
    earliest = _year(span.startYear) if span is not None else None
    if span is not None and earliest is not None:
        latest = _year(span.endYear)
        return TimeSpan(
            text=text or span.text or "",
            earliest=earliest,
            latest=earliest if latest is None else latest,
        )
    parsed = try_parse_date(text)
    if parsed is not None:
        return TimeSpan(
            text=text, earliest=parsed.earliest, latest=parsed.latest, label=parsed.label
        )
    return TimeSpan(text=text) if text else None


def _artwork_record(art: _Artwork, file: str) -> Record:
    labels = _labels(art.title)
    extra: dict[str, Any] = {}
    if art.foreignTitle:
        if is_chinese(art.foreignTitle) and not is_chinese(art.title):
            labels.update(chinese_labels(art.foreignTitle))
        extra["foreign_title"] = art.foreignTitle
    creators = [
        Creator(
            name=c.fc,
            role=c.role or "artist",
            person_id=record_id(SOURCE, f"artist/{c.id}") if c.id is not None else None,
        )
        for c in art.contributors
    ]
    subjects: list[str] = []
    if art.subjects is not None:
        _leaf_subjects(art.subjects, subjects)
    images = [Image(url=art.thumbnailUrl)] if art.thumbnailUrl else []
    for extra_image in art.additionalImages:
        if extra_image.sizes:
            largest = extra_image.sizes[-1]
            images.append(Image(url=IMAGE_BASE + largest.file, caption=largest.caption))
    for key, value in (
        ("accession_number", art.acno),
        ("medium", art.medium),
        ("dimensions", art.dimensions),
        ("classification", art.classification),
        ("credit_line", art.creditLine),
        ("acquisition_year", art.acquisitionYear),
        ("group_title", art.groupTitle),
        ("inscription", art.inscription),
    ):
        if value is not None and value != "":
            extra[key] = value
    if art.movements:
        extra["movements"] = [m.name for m in art.movements]
    return Record(
        source=SOURCE,
        source_id=f"artwork/{art.id}",
        type="artwork" if creators else "object",
        labels=labels,
        provenance=Provenance(source=SOURCE, file=file, position="1"),
        creators=creators,
        time=_artwork_time(art),
        subjects=subjects,
        images=images,
        rights=art.thumbnailCopyright or None,
        url=art.url or None,
        extra=extra,
    )


def _artist_record(artist: _Artist, file: str) -> Record:
    birth_year = artist.birthYear
    if birth_year is None and artist.birth and artist.birth.time:
        birth_year = artist.birth.time.startYear
    death_year = artist.death.time.startYear if artist.death and artist.death.time else None
    time = None
    if artist.date or birth_year is not None or death_year is not None:
        time = TimeSpan(text=artist.date or "", earliest=birth_year, latest=death_year)
    extra: dict[str, Any] = {}
    if artist.mda:
        extra["name_inverted"] = artist.mda
    if artist.gender:
        extra["gender"] = artist.gender
    if artist.birth and artist.birth.place and artist.birth.place.name:
        extra["place_of_birth"] = artist.birth.place.name
    if artist.death and artist.death.place and artist.death.place.name:
        extra["place_of_death"] = artist.death.place.name
    if artist.movements:
        extra["movements"] = [m.name for m in artist.movements]
    return Record(
        source=SOURCE,
        source_id=f"artist/{artist.id}",
        type="person",
        labels=_labels(artist.fc),
        provenance=Provenance(source=SOURCE, file=file, position="1"),
        time=time,
        url=artist.url or None,
        extra=extra,
    )


class TateSource:
    """Tate's artworks and artists, from the folder, a ``.zip`` or the ``.tar.xz``.

    >>> TateSource().name
    'tate'
    """

    name = SOURCE

    def read(self, path: Path) -> Iterator[Item]:
        """Yield a record (or a rejection) per artwork and artist file, in archive order."""
        for name, data in iter_files(path, _wanted):
            kind, file = _relative(name)
            try:
                if kind == "artworks":
                    record = _artwork_record(_artwork_decoder.decode(data), file)
                else:
                    record = _artist_record(_artist_decoder.decode(data), file)
            except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
                yield Rejected(SOURCE, file, "1", json_reason(exc))
                continue
            yield record
