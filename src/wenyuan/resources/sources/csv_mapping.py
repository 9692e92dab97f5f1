"""CSV files as records, through a TOML mapping from columns to record fields.

``wenyuan ingest csv PATH --mapping MAPPING.toml`` reads any institution's spreadsheet
export. The mapping says which column holds the required id, which record fields come from
which columns, and which columns to keep as ``extra``::

    source = "tate-artists"          # the records' source (default "csv:<mapping name>")
    type = "person"                  # the records' type (default "object")
    id = "id"                        # the column with the publisher's id (required)
    # delimiter = ","                # one character (default ",")
    # encoding = "utf-8-sig"         # any Python codec (default: UTF-8, a byte-order mark skipped)
    # files = "*.csv"                # which files to read in a folder or an archive

    [fields]
    title_en = "name"
    date = "dates"
    earliest = "yearOfBirth"
    latest = "yearOfDeath"
    subjects = { column = "tags", split = ";" }
    extra = ["gender", "placeOfBirth"]

Field keys: ``title_en``, ``title_zh``, ``creator``, ``creator_role``, ``date``,
``earliest``, ``latest``, ``dynasty``, ``subjects``, ``description_en``,
``description_zh``, ``url``, ``image``, ``rights`` (each a column name; ``creator`` and
``subjects`` may be ``{ column, split }``) and ``extra`` (a list of columns).

The mapping is checked when it is loaded (unknown keys, a missing ``id``, a record type we
do not know, a bad delimiter or encoding) and against each file's header (every named column
must exist); both raise ``SourceError`` naming the mapping file and the key. Rows are then
read one at a time: a row with an empty id, a wrong number of fields, a year that is not an
integer or bytes that are not valid in the encoding is a ``Rejected`` with its row number
(the header is row 1), and reading goes on.

Hazards: a plain ``.csv`` file (or a folder of them) is streamed row by row from disk; a CSV
inside a ``.zip`` or ``.tar.xz`` is read into memory one file at a time. Row numbers count
records, not lines: a quoted field with line breaks is still one row.
"""

from __future__ import annotations

import codecs
import csv
import io
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import msgspec

from wenyuan.core.errors import SourceError
from wenyuan.core.text import to_simplified
from wenyuan.resources._model import RECORD_TYPES, Creator, Image, Provenance, Record, TimeSpan
from wenyuan.resources.dates import try_parse_date
from wenyuan.resources.sources._base import Item, Rejected
from wenyuan.resources.sources._common import chinese_labels, is_chinese
from wenyuan.resources.sources._files import iter_files

__all__ = ["Column", "CsvSource", "Fields", "Mapping", "load_mapping", "parse_mapping"]


class Column(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A column whose cells hold several values, separated by ``split``."""

    column: str
    split: str | None = None


class Fields(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Record fields and the columns they come from."""

    title_en: str | None = None
    title_zh: str | None = None
    creator: str | Column | None = None
    creator_role: str | None = None
    date: str | None = None
    earliest: str | None = None
    latest: str | None = None
    dynasty: str | None = None
    subjects: str | Column | None = None
    description_en: str | None = None
    description_zh: str | None = None
    url: str | None = None
    image: str | None = None
    rights: str | None = None
    extra: list[str] = []


class _MappingFile(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    source: str | None = None
    type: str = "object"
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    files: str = "*.csv"
    fields: Fields = Fields()


@dataclass(frozen=True, slots=True)
class Mapping:
    """A validated mapping. ``name`` is the mapping file's name without ``.mapping.toml``
    (``tate-artists`` for ``tate-artists.mapping.toml``); ``file`` is where it was read."""

    name: str
    id: str
    source: str
    type: str = "object"
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    files: str = "*.csv"
    fields: Fields = field(default_factory=Fields)
    file: str = ""

    def columns(self) -> list[tuple[str, str]]:
        """Every ``(key, column)`` the mapping names, ``id`` first."""
        out = [("id", self.id)]
        for key in Fields.__struct_fields__:
            value = getattr(self.fields, key)
            if key == "extra":
                out.extend((f"fields.extra[{i}]", col) for i, col in enumerate(value))
            elif isinstance(value, Column):
                out.append((f"fields.{key}.column", value.column))
            elif value is not None:
                out.append((f"fields.{key}", value))
        return out


def _key_of(exc: msgspec.ValidationError) -> tuple[str, str]:
    """``(key, reason)`` from msgspec's "reason - at `$.a.b`" message."""
    message = str(exc)
    reason, _, where = message.partition(" - at `")
    key = where.rstrip("`").removeprefix("$").lstrip(".")
    if "unknown field `" in reason:
        unknown = reason.split("unknown field `", 1)[1].rstrip("`")
        key = f"{key}.{unknown}" if key else unknown
    elif "missing required field `" in reason:
        missing = reason.split("missing required field `", 1)[1].rstrip("`")
        key = f"{key}.{missing}" if key else missing
    return key, reason


def parse_mapping(data: dict[str, Any], *, name: str, file: str = "") -> Mapping:
    """Validate a mapping given as a dict (a parsed TOML table)."""
    where = file or name
    try:
        raw = msgspec.convert(data, _MappingFile)
    except msgspec.ValidationError as exc:
        key, reason = _key_of(exc)
        raise SourceError(
            f"invalid mapping key '{key}': {reason}", source=where, position=key
        ) from exc
    if not raw.id.strip():
        raise SourceError(
            "invalid mapping key 'id': empty column name", source=where, position="id"
        )
    if raw.type not in RECORD_TYPES:
        known = ", ".join(sorted(RECORD_TYPES))
        raise SourceError(
            f"invalid mapping key 'type': {raw.type!r} is not one of {known}",
            source=where,
            position="type",
        )
    if len(raw.delimiter) != 1:
        raise SourceError(
            "invalid mapping key 'delimiter': must be one character",
            source=where,
            position="delimiter",
        )
    try:
        codecs.lookup(raw.encoding)
    except LookupError as exc:
        raise SourceError(
            f"invalid mapping key 'encoding': unknown codec {raw.encoding!r}",
            source=where,
            position="encoding",
        ) from exc
    return Mapping(
        name=name,
        id=raw.id,
        source=raw.source or f"csv:{name}",
        type=raw.type,
        delimiter=raw.delimiter,
        encoding=raw.encoding,
        files=raw.files,
        fields=raw.fields,
        file=file,
    )


def load_mapping(path: Path) -> Mapping:
    """Read and validate a TOML mapping file; ``SourceError`` names the file and the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceError(f"cannot read mapping ({exc.strerror or exc})", source=str(path)) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(f"not a valid TOML mapping: {exc}", source=str(path)) from exc
    name = path.name.removesuffix(".toml").removesuffix(".mapping")
    return parse_mapping(data, name=name, file=str(path))


class _RowError(ValueError):
    pass


def _split(value: str, spec: str | Column) -> list[str]:
    if isinstance(spec, Column) and spec.split:
        return [part.strip() for part in value.split(spec.split) if part.strip()]
    value = value.strip()
    return [value] if value else []


def _year(cell: str, column: str) -> int | None:
    text = cell.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise _RowError(f"column {column!r} is not an integer year: {text!r}") from None


class _RowMapper:
    """Maps one file's rows, with the column indexes resolved once from its header."""

    def __init__(self, mapping: Mapping, header: list[str], file: str) -> None:
        index = {name.strip(): i for i, name in enumerate(header)}
        missing = [(key, col) for key, col in mapping.columns() if col not in index]
        if missing:
            key, col = missing[0]
            raise SourceError(
                f"mapping {mapping.file or mapping.name} key '{key}' names column {col!r}, "
                f"which is not in the header of {file}",
                source=mapping.file or mapping.name,
                position=key,
            )
        self.mapping = mapping
        self.width = len(header)
        f = mapping.fields

        def at(spec: str | Column | None) -> int | None:
            if spec is None:
                return None
            return index[spec.column if isinstance(spec, Column) else spec]

        self.id = index[mapping.id]
        self.title_en, self.title_zh = at(f.title_en), at(f.title_zh)
        self.creator, self.creator_role = at(f.creator), at(f.creator_role)
        self.date, self.earliest, self.latest = at(f.date), at(f.earliest), at(f.latest)
        self.dynasty, self.subjects = at(f.dynasty), at(f.subjects)
        self.description_en, self.description_zh = at(f.description_en), at(f.description_zh)
        self.url, self.image, self.rights = at(f.url), at(f.image), at(f.rights)
        self.extra = [(col, index[col]) for col in f.extra]

    def record(self, row: list[str], file: str, position: str) -> Record:
        m, f = self.mapping, self.mapping.fields

        def cell(i: int | None) -> str:
            return row[i].strip() if i is not None else ""

        labels: dict[str, str] = {}
        title_en, title_zh = cell(self.title_en), cell(self.title_zh)
        if title_en:
            labels["en"] = title_en
        chinese = title_zh or (title_en if is_chinese(title_en) else "")
        if chinese:
            labels.update(chinese_labels(chinese))
        creators: list[Creator] = []
        if self.creator is not None and f.creator is not None:
            role = cell(self.creator_role) or "creator"
            creators = [Creator(name=n, role=role) for n in _split(row[self.creator], f.creator)]
        subjects: list[str] = []
        if self.subjects is not None and f.subjects is not None:
            subjects = _split(row[self.subjects], f.subjects)
        time = None
        text = cell(self.date)
        earliest = latest = None
        if self.earliest is not None:
            earliest = _year(row[self.earliest], f.earliest or "")
        if self.latest is not None:
            latest = _year(row[self.latest], f.latest or "")
        if earliest is not None or latest is not None:
            time = TimeSpan(text=text, earliest=earliest, latest=latest)
        elif text:
            parsed = try_parse_date(text)
            time = (
                TimeSpan(
                    text=text, earliest=parsed.earliest, latest=parsed.latest, label=parsed.label
                )
                if parsed is not None
                else TimeSpan(text=text)
            )
        description: dict[str, str] = {}
        if cell(self.description_en):
            description["en"] = cell(self.description_en)
        if cell(self.description_zh):
            description["zh-Hans"] = to_simplified(cell(self.description_zh))
        image = cell(self.image)
        extra = {col: row[i].strip() for col, i in self.extra if row[i].strip()}
        return Record(
            source=m.source,
            source_id=row[self.id].strip(),
            type=m.type,
            labels=labels,
            provenance=Provenance(source=m.source, file=file, position=position),
            creators=creators,
            time=time,
            dynasty=cell(self.dynasty) or None,
            subjects=subjects,
            description=description,
            images=[Image(url=image)] if image else [],
            rights=cell(self.rights) or None,
            url=cell(self.url) or None,
            extra=extra,
        )


class CsvSource:
    """CSV files mapped to records by a ``Mapping``; ``name`` is the records' source.

    >>> CsvSource(parse_mapping({"id": "id"}, name="example")).name
    'csv:example'
    """

    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.name = mapping.source

    def read(self, path: Path) -> Iterator[Item]:
        """Yield a record (or a rejection) per data row of every CSV file under ``path``."""
        if not path.exists():
            raise SourceError("no such file or folder", source=str(path))
        if path.is_file() and not _is_archive(path):
            with path.open("rb") as raw:
                yield from self._read_stream(raw, path.name)
            return
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                name = PurePosixPath(file.relative_to(path).as_posix())
                if name.match(self.mapping.files):
                    with file.open("rb") as raw:
                        yield from self._read_stream(raw, str(name))
            return
        for name, data in iter_files(path, lambda n: n.match(self.mapping.files)):
            yield from self._read_stream(io.BytesIO(data), str(name))

    def _read_stream(self, raw: IO[bytes], file: str) -> Iterator[Item]:
        m = self.mapping
        # Closing the wrapper closes ``raw`` too, so no file is left for the collector.
        with io.TextIOWrapper(
            raw, encoding=m.encoding, errors="surrogateescape", newline=""
        ) as text:
            reader = csv.reader(text, delimiter=m.delimiter)
            try:
                header = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise SourceError(
                    f"unreadable CSV header: {exc}", source=file, position="1"
                ) from exc
            mapper = _RowMapper(m, header, file)
            yield from self._rows(reader, mapper, file)

    def _rows(self, rows: Iterable[list[str]], mapper: _RowMapper, file: str) -> Iterator[Item]:
        source = self.mapping.source
        number = 1
        iterator = iter(rows)
        while True:
            number += 1
            position = str(number)
            try:
                row = next(iterator)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Rejected(source, file, position, f"malformed CSV: {exc}")
                continue
            if not row:
                continue
            try:
                "\x1f".join(row).encode("utf-8")
            except UnicodeEncodeError:
                yield Rejected(
                    source, file, position, f"bytes that are not valid {self.mapping.encoding}"
                )
                continue
            if len(row) != mapper.width:
                yield Rejected(
                    source,
                    file,
                    position,
                    f"row has {len(row)} fields, the header has {mapper.width}",
                )
                continue
            if not row[mapper.id].strip():
                yield Rejected(source, file, position, f"empty id (column {self.mapping.id!r})")
                continue
            try:
                yield mapper.record(row, file, position)
            except _RowError as exc:
                yield Rejected(source, file, position, str(exc))


def _is_archive(path: Path) -> bool:
    lower = path.name.lower()
    return lower.endswith((".zip", ".tar", ".tar.xz", ".txz", ".tar.gz", ".tgz", ".tar.bz2"))
