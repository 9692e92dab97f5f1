"""Dublin Core XML as institutions publish it, as records.

``DublinCoreSource`` reads ``.xml`` files from a folder, a ``.zip`` or a ``.tar.xz``, one file
at a time, and finds two shapes in them:

* OAI-PMH responses (``ListRecords``, ``GetRecord``): each ``<record>`` whose metadata is
  ``oai_dc:dc`` is a record; its ``source_id`` is the header's ``<identifier>``. A header
  with ``status="deleted"`` is not a record: it is skipped and counted in ``deleted``, never
  rejected. A record with no identifier is a ``Rejected``; so is a record whose metadata is
  in another format (MODS, MARC21, EDM, oai_doaj...), with the reason "no oai_dc metadata
  (found mods)": harvesting the wrong ``metadataPrefix`` then shows in the report record by
  record instead of ingesting nothing in silence. Responses that carry no records at all
  (Identify, ListSets, ListIdentifiers, ListMetadataFormats, protocol errors) yield nothing.
* plain ``oai_dc:dc`` documents, alone or several inside any wrapper element: the
  ``source_id`` is the first ``dc:identifier``; a document without one is a ``Rejected``.

Mapping: ``dc:title`` to labels (a Chinese title, by its characters, gives ``zh-Hans``,
``zh-Hant`` and ``pinyin``; the first other title, preferring one tagged English or untagged,
gives ``en``; the rest go to ``extra["other_titles"]``), ``dc:creator`` and
``dc:contributor`` to creators, ``dc:subject`` to subjects, ``dc:description`` to the
description, the first ``dc:date`` through ``try_parse_date`` to the time span,
``dc:type`` to the record type ("text" for DCMI Text and publication types, "event" for
Event, otherwise "object") and ``extra["type"]``, ``dc:rights`` to rights, the first
``dc:identifier`` that is a URL to ``url``; ``dc:language``, ``format``, ``publisher``,
``source``, ``relation``, ``coverage`` and all identifiers to ``extra``. Element text is
whitespace-normalised. Elements of DCMI terms (``dcterms:``) with the same names count too.

Hazards: the parser is the stdlib's expat driving ElementTree's ``TreeBuilder``, with a
hard refusal of any document type declaration: a ``<!DOCTYPE`` (and so any ``<!ENTITY``)
makes the file a ``Rejected`` before an entity can be declared, so there is no entity
expansion (billion laughs) and no external entity. Malformed XML is a ``Rejected`` naming
the file and the parser's line and column. A whole file is held in memory while it is
parsed (OAI-PMH pages are small by design; very large single documents are not streamed).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from xml.parsers import expat

from wenyuan.core.text import pinyin, to_simplified
from wenyuan.resources._model import Creator, Provenance, Record, TimeSpan
from wenyuan.resources.dates import try_parse_date
from wenyuan.resources.sources._base import Item, Rejected
from wenyuan.resources.sources._common import chinese_labels, is_chinese
from wenyuan.resources.sources._files import iter_files

__all__ = ["DublinCoreSource", "parse_xml"]

SOURCE = "dc-xml"

OAI = "{http://www.openarchives.org/OAI/2.0/}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
DC = "{http://purl.org/dc/elements/1.1/}"
DCTERMS = "{http://purl.org/dc/terms/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

_EXTRA_ELEMENTS = ("language", "format", "publisher", "source", "relation", "coverage")
_TEXT_TYPES = frozenset(
    {
        "text",
        "article",
        "book",
        "bookpart",
        "doctoralthesis",
        "masterthesis",
        "bachelorthesis",
        "report",
        "technicalreport",
        "workingpaper",
        "preprint",
        "conferenceobject",
        "review",
        "lecture",
    }
)


class UnsafeXML(ValueError):
    """The document declares a DTD or entities, which we refuse to process."""


class XMLSyntaxError(ValueError):
    """The document is not well-formed; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


def parse_xml(data: bytes) -> ET.Element:
    """Parse ``data`` into an ElementTree element, refusing DTDs and entity declarations.

    Raises ``UnsafeXML`` for a ``<!DOCTYPE`` and ``XMLSyntaxError`` for malformed XML.

    >>> parse_xml(b'<a xmlns="urn:x"><b>1</b></a>').tag
    '{urn:x}a'
    """
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True

    def name(raw: str) -> str:
        return "{" + raw if "}" in raw else raw

    def start(tag: str, attrs: dict[str, str]) -> None:
        builder.start(name(tag), {name(k): v for k, v in attrs.items()} if attrs else {})

    def end(tag: str) -> None:
        builder.end(name(tag))

    def refuse(*_: Any) -> None:
        raise UnsafeXML(
            f"document type declarations are refused (line {parser.CurrentLineNumber}, "
            f"column {parser.CurrentColumnNumber + 1}): no DTDs or entities"
        )

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        line, column = exc.lineno, exc.offset + 1
        message = f"{expat.ErrorString(exc.code)} at line {line}, column {column}"
        raise XMLSyntaxError(message, line, column) from None
    return builder.close()


def _text(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _values(dc: ET.Element) -> dict[str, list[tuple[str, str | None]]]:
    """Each DC element's non-empty texts with their ``xml:lang``, in document order."""
    out: dict[str, list[tuple[str, str | None]]] = {}
    for child in dc:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag.startswith(DC):
            key = tag[len(DC) :]
        elif tag.startswith(DCTERMS):
            key = tag[len(DCTERMS) :]
        else:
            continue
        text = _text(child)
        if text:
            out.setdefault(key, []).append((text, child.get(XML_LANG)))
    return out


def _is_english(lang: str | None) -> bool:
    return lang is None or lang.lower().startswith("en")


def _labels(titles: list[tuple[str, str | None]]) -> tuple[dict[str, str], list[str]]:
    labels: dict[str, str] = {}
    used: set[int] = set()
    for i, (text, _lang) in enumerate(titles):
        if is_chinese(text) and "zh-Hans" not in labels:
            labels.update(chinese_labels(text))
            used.add(i)
    others = [i for i, (text, _) in enumerate(titles) if i not in used]
    english = [i for i in others if _is_english(titles[i][1])] or others
    if english:
        labels["en"] = titles[english[0]][0]
        used.add(english[0])
    return labels, [text for i, (text, _) in enumerate(titles) if i not in used]


def _record_type(types: list[str]) -> str:
    for value in types:
        word = value.rsplit("/", 1)[-1].rsplit(":", 1)[-1].replace(" ", "").lower()
        if word in _TEXT_TYPES:
            return "text"
        if word == "event":
            return "event"
    return "object"


def _time(text: str) -> TimeSpan:
    """W3CDTF dates (``2011``, ``2003-04-22T13:13:44Z``), DC's recommended encoding, give
    their year directly; anything else goes to ``try_parse_date``."""
    head = text[:4]
    if head.isdigit() and (len(text) == 4 or text[4] == "-"):
        year = int(head)
        return TimeSpan(text=text, earliest=year, latest=year, label=head)
    parsed = try_parse_date(text)
    if parsed is None:
        return TimeSpan(text=text)
    return TimeSpan(text=text, earliest=parsed.earliest, latest=parsed.latest, label=parsed.label)


def _creator(name: str, role: str) -> Creator:
    if is_chinese(name):
        return Creator(name=name, role=role, name_zh_hans=to_simplified(name), pinyin=pinyin(name))
    return Creator(name=name, role=role)


def _map(dc: ET.Element, source_id: str, file: str, position: str, extra: dict[str, Any]) -> Record:
    values = _values(dc)

    def texts(key: str) -> list[str]:
        return list(dict.fromkeys(text for text, _ in values.get(key, ())))

    labels, other_titles = _labels(values.get("title", []))
    if other_titles:
        extra["other_titles"] = other_titles
    creators = [_creator(n, "creator") for n in texts("creator")]
    creators += [_creator(n, "contributor") for n in texts("contributor")]
    description: dict[str, str] = {}
    for text, lang in values.get("description", ()):
        key = "zh-Hans" if is_chinese(text) else "en"
        if key == "en" and not _is_english(lang) and "en" in description:
            continue
        description[key] = f"{description[key]}\n\n{text}" if key in description else text
    if "zh-Hans" in description:
        description["zh-Hans"] = to_simplified(description["zh-Hans"])
    time = None
    dates = texts("date")
    if dates:
        time = _time(dates[0])
        if len(dates) > 1:
            extra["dates"] = dates
    types = texts("type")
    if types:
        extra["type"] = types
    identifiers = texts("identifier")
    if identifiers:
        extra["identifiers"] = identifiers
    for key in _EXTRA_ELEMENTS:
        found = texts(key)
        if found:
            extra[key] = found
    rights = texts("rights")
    url = next((i for i in identifiers if i.startswith(("http://", "https://"))), None)
    return Record(
        source=SOURCE,
        source_id=source_id,
        type=_record_type(types),
        labels=labels,
        provenance=Provenance(source=SOURCE, file=file, position=position),
        creators=creators,
        time=time,
        subjects=texts("subject"),
        description=description,
        rights="; ".join(rights) or None,
        url=url,
        extra=extra,
    )


class DublinCoreSource:
    """Dublin Core records from OAI-PMH responses and plain ``oai_dc:dc`` documents.

    After ``read`` has run to the end, ``deleted`` holds how many deleted headers it skipped.

    >>> DublinCoreSource().name
    'dc-xml'
    """

    name = SOURCE

    def __init__(self) -> None:
        self.deleted = 0

    def read(self, path: Path) -> Iterator[Item]:
        """Yield a record (or a rejection) per Dublin Core record in each ``.xml`` file."""
        self.deleted = 0
        for name, data in iter_files(path, _is_xml):
            yield from self._read_file(str(name), data)

    def _read_file(self, file: str, data: bytes) -> Iterator[Item]:
        try:
            root = parse_xml(data)
        except XMLSyntaxError as exc:
            yield Rejected(
                SOURCE, file, f"line {exc.line}, column {exc.column}", f"malformed XML: {exc}"
            )
            return
        except UnsafeXML as exc:
            yield Rejected(SOURCE, file, "1", str(exc))
            return
        if root.tag == f"{OAI}OAI-PMH":
            yield from self._oai_records(root, file)
            return
        documents = [root] if root.tag == f"{OAI_DC}dc" else root.iter(f"{OAI_DC}dc")
        for index, dc in enumerate(documents, start=1):
            position = str(index)
            identifier = dc.findtext(f"{DC}identifier") or dc.findtext(f"{DCTERMS}identifier")
            source_id = " ".join((identifier or "").split())
            if not source_id:
                yield Rejected(SOURCE, file, position, "no dc:identifier to use as the id")
                continue
            yield _map(dc, source_id, file, position, {})

    def _oai_records(self, root: ET.Element, file: str) -> Iterator[Item]:
        for index, record in enumerate(root.iter(f"{OAI}record"), start=1):
            position = str(index)
            header = record.find(f"{OAI}header")
            if header is None:
                yield Rejected(SOURCE, file, position, "OAI-PMH record without a header")
                continue
            if header.get("status") == "deleted":
                self.deleted += 1
                continue
            source_id = " ".join((header.findtext(f"{OAI}identifier") or "").split())
            if not source_id:
                yield Rejected(SOURCE, file, position, "OAI-PMH header has no identifier")
                continue
            metadata = record.find(f"{OAI}metadata")
            dc = metadata.find(f"{OAI_DC}dc") if metadata is not None else None
            if dc is None:
                found = [c.tag for c in metadata] if metadata is not None else []
                what = _describe(found[0]) if found else "nothing"
                yield Rejected(SOURCE, file, position, f"no oai_dc metadata (found {what})")
                continue
            extra: dict[str, Any] = {}
            datestamp = header.findtext(f"{OAI}datestamp")
            if datestamp:
                extra["oai_datestamp"] = datestamp.strip()
            sets = list(
                dict.fromkeys(
                    s.text.strip()
                    for s in header.iter(f"{OAI}setSpec")
                    if s.text and s.text.strip()
                )
            )
            if sets:
                extra["oai_sets"] = sets
            yield _map(dc, source_id, file, position, extra)


def _describe(tag: str) -> str:
    """``mods (http://www.loc.gov/mods/v3)`` for ``{http://www.loc.gov/mods/v3}mods``."""
    namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    return f"{local} ({namespace})" if namespace else local


def _is_xml(name: PurePosixPath) -> bool:
    return name.suffix.lower() == ".xml"
