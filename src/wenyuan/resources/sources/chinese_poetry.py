"""The chinese-poetry corpus (github chinese-poetry/chinese-poetry) as records.

Which files are records, and how (see shared/NOTES.md): ``全唐诗/poet.tang.*.json`` and
``poet.song.*.json`` (traditional characters, with ids), ``御定全唐詩/json/*.json``
(traditional, ``volume`` + ``no#`` as id, with ``biography`` and ``notes``),
``宋词/ci.song.*.json`` (simplified, ``rhythmic`` instead of a title), ``元曲/yuanqu.json``,
``诗经/shijing.json`` and ``楚辞/chuci.json`` (``content`` instead of ``paragraphs``). Files
without ids get ``<collection>/<file>#<index>``, stable for one release of the data.

Not records: the anthologies ``唐诗三百首.json`` and ``宋词三百首.json`` become tags on the
poems they contain (a popularity signal); ``error/`` holds the publisher's flagged versions
of main-file poems, which become flags on those poems; ``表面结构字.json`` maps ``{上休下鳥}``
placeholders to real characters, used for the indexed text (the body keeps what was
written). Hazard: two passes over the source, so a .tar.xz is decompressed twice; the tag,
flag and placeholder maps (tens of thousands of entries) are held in memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from wenyuan.core.text import pinyin, to_simplified, to_traditional
from wenyuan.resources._model import Creator, Provenance, Record, TimeSpan
from wenyuan.resources.dates import dynasty_span
from wenyuan.resources.sources._base import Item, Rejected
from wenyuan.resources.sources._files import iter_files

__all__ = ["ChinesePoetrySource"]

SOURCE = "chinese-poetry"
_PLACEHOLDER = re.compile(r"\{[^{}]{1,12}\}")

# collection folder → (record type, dynasty key, written in traditional characters)
_MAIN = {
    "全唐诗": None,  # decided per file: poet.tang / poet.song
    "御定全唐詩": ("poem", "唐", True),
    "宋词": ("ci", "宋", False),
    "元曲": ("qu", "元", False),
    "诗经": ("poem", "先秦", False),
    "楚辞": ("poem", "战国", False),
}
_DYNASTY_LABELS = {"唐": "唐", "宋": "宋", "元": "元", "先秦": "先秦", "战国": "战国"}


def _parts(name: PurePosixPath) -> tuple[str, str]:
    """(collection folder, path inside it) whatever folder the corpus sits in."""
    parts = name.parts
    for i, part in enumerate(parts):
        if part in _MAIN:
            return part, "/".join(parts[i + 1 :])
    return "", name.name


def _is_aux(name: PurePosixPath) -> bool:
    collection, inner = _parts(name)
    return (
        collection == "全唐诗"
        and (
            (inner.startswith("error/") and inner.endswith(".json"))
            or inner in ("唐诗三百首.json", "表面结构字.json")
        )
    ) or (collection == "宋词" and inner == "宋词三百首.json")


def _is_main(name: PurePosixPath) -> bool:
    collection, inner = _parts(name)
    if collection == "全唐诗":
        return bool(re.fullmatch(r"poet\.(tang|song)\.\d+\.json", inner))
    if collection == "御定全唐詩":
        return bool(re.fullmatch(r"json/\d+\.json", inner))
    if collection == "宋词":
        return bool(re.fullmatch(r"ci\.song\.\d+\.json", inner))
    if collection == "元曲":
        return inner == "yuanqu.json"
    if collection == "诗经":
        return inner == "shijing.json"
    if collection == "楚辞":
        return inner == "chuci.json"
    return False


class _Aux:
    def __init__(self) -> None:
        self.tags: dict[str, list[str]] = {}
        self.ci_tags: dict[tuple[str, str, str], list[str]] = {}
        self.flags: dict[str, list[str]] = {}
        self.placeholders: dict[str, str] = {}


def _load_json(name: PurePosixPath, data: bytes) -> tuple[Any, str | None]:
    try:
        return json.loads(data.decode("utf-8")), None
    except UnicodeDecodeError as exc:
        return None, f"not valid UTF-8 at byte {exc.start}"
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"


class ChinesePoetrySource:
    """Adapter for the chinese-poetry corpus: a folder, .zip or .tar.xz of the repository."""

    name = SOURCE

    def read(self, path: Path) -> Iterator[Item]:
        # A folder of one collection (…/诗经) is read as that collection.
        prefix = PurePosixPath(path.name) if path.is_dir() and path.name in _MAIN else None

        def files(want: Callable[[PurePosixPath], bool]) -> Iterator[tuple[PurePosixPath, bytes]]:
            if prefix is None:
                yield from iter_files(path, want)
            else:
                for name, data in iter_files(path, lambda n: want(prefix / n)):
                    yield prefix / name, data

        aux = _Aux()
        rejected: list[Rejected] = []
        for name, data in files(_is_aux):
            self._load_aux(name, data, aux, rejected)
        yield from rejected
        for name, data in files(_is_main):
            yield from self._read_file(name, data, aux)

    # -- auxiliary files ------------------------------------------------------------------

    def _load_aux(
        self, name: PurePosixPath, data: bytes, aux: _Aux, rejected: list[Rejected]
    ) -> None:
        doc, error = _load_json(name, data)
        _collection, inner = _parts(name)
        if error:
            rejected.append(Rejected(SOURCE, str(name), "", error))
            return
        if inner == "表面结构字.json" and isinstance(doc, dict):
            for placeholder, candidates in doc.items():
                if isinstance(candidates, list) and candidates:
                    font = candidates[0].get("font") if isinstance(candidates[0], dict) else None
                    if isinstance(font, str) and font:
                        aux.placeholders[placeholder] = font
            return
        if not isinstance(doc, list):
            rejected.append(Rejected(SOURCE, str(name), "", "expected a JSON list of poems"))
            return
        for poem in doc:
            if not isinstance(poem, dict):
                continue
            if inner == "唐诗三百首.json" and isinstance(poem.get("id"), str):
                aux.tags[poem["id"]] = [str(t) for t in poem.get("tags") or [] if t]
            elif inner == "宋词三百首.json":
                key = _ci_key(poem)
                if key:
                    aux.ci_tags[key] = [str(t) for t in poem.get("tags") or [] if t]
            elif inner.startswith("error/") and isinstance(poem.get("id"), str):
                reasons = poem.get("error_type") or ["flagged"]
                aux.flags[poem["id"]] = [f"publisher-flagged: {r}" for r in reasons if r]

    # -- poems ----------------------------------------------------------------------------

    def _read_file(self, name: PurePosixPath, data: bytes, aux: _Aux) -> Iterator[Item]:
        doc, error = _load_json(name, data)
        if error:
            yield Rejected(SOURCE, str(name), "", error)
            return
        if not isinstance(doc, list):
            yield Rejected(SOURCE, str(name), "", "expected a JSON list of poems")
            return
        collection, inner = _parts(name)
        kind = _MAIN[collection] or ("poem", "宋" if ".song." in inner else "唐", True)
        for index, poem in enumerate(doc):
            try:
                yield self._record(collection, inner, name, index, poem, kind, aux)
            except _Bad as exc:
                yield Rejected(SOURCE, str(name), str(index), str(exc))

    def _record(
        self,
        collection: str,
        inner: str,
        name: PurePosixPath,
        index: int,
        poem: Any,
        kind: tuple[str, str, bool],
        aux: _Aux,
    ) -> Record:
        if not isinstance(poem, dict):
            raise _Bad(f"expected a JSON object, found {type(poem).__name__}")
        record_type, dynasty, traditional = kind
        lines = poem.get("paragraphs", poem.get("content"))
        if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
            raise _Bad("'paragraphs' must be a list of strings")
        title = poem.get("title", poem.get("rhythmic", ""))
        author = poem.get("author")
        if not isinstance(title, str):
            raise _Bad("'title' must be a string")
        if author is not None and not isinstance(author, str):
            raise _Bad("'author' must be a string")
        tags: list[str] = [str(t) for t in poem.get("tags") or [] if isinstance(t, str) and t]
        flags: list[str] = []
        extra: dict[str, Any] = {}
        if collection == "全唐诗":
            poem_id = poem.get("id")
            if not isinstance(poem_id, str) or not poem_id:
                raise _Bad("poem has no 'id'")
            source_id = poem_id
            tags = _merge(tags, aux.tags.get(poem_id, []))
            flags = aux.flags.get(poem_id, [])
        elif collection == "御定全唐詩":
            volume, number = poem.get("volume"), poem.get("no#")
            if not isinstance(volume, str) or not isinstance(number, int):
                raise _Bad("poem has no 'volume' and 'no#'")
            source_id = f"御定全唐詩/{volume}/{number}"
            extra["volume"] = volume
            if isinstance(poem.get("biography"), str) and poem["biography"]:
                extra["biography"] = poem["biography"]
        else:
            source_id = f"{collection}/{inner}#{index}"
            if collection == "宋词":
                extra["cipai"] = title
                key = _ci_key(poem)
                tags = _merge(tags, aux.ci_tags.get(key, []) if key else [])
        for field in ("chapter", "section"):
            if isinstance(poem.get(field), str) and poem[field]:
                extra[field] = poem[field]
        notes = poem.get("notes")
        note_list = (
            [n for n in notes if isinstance(n, str) and n]
            if isinstance(notes, list)
            else ([notes] if isinstance(notes, str) and notes else [])
        )
        simplified_title = to_simplified(title) if traditional else title
        labels = {
            "zh-Hans": simplified_title,
            "zh-Hant": title if traditional else to_traditional(title),
        }
        title_pinyin = pinyin(simplified_title, simplified=True)
        if title_pinyin:
            labels["pinyin"] = title_pinyin
        labels = {k: v for k, v in labels.items() if v}
        creators = [_creator(author, traditional)] if author else []
        time = _dynasty_time(dynasty)
        search_text = None
        joined = "\n".join(lines)
        if "{" in joined and aux.placeholders:
            repaired = _PLACEHOLDER.sub(lambda m: aux.placeholders.get(m.group(0), "□"), joined)
            if repaired != joined:
                search_text = repaired
        return Record(
            source=SOURCE,
            source_id=source_id,
            type=record_type,
            labels=labels,
            provenance=Provenance(source=SOURCE, file=str(name), position=str(index)),
            body=lines,
            creators=creators,
            time=time,
            dynasty=_DYNASTY_LABELS[dynasty],
            tags=tags,
            flags=flags,
            notes=note_list,
            extra=extra,
            search_text=search_text,
            rights="MIT (chinese-poetry/chinese-poetry); the texts are in the public domain",
        )


def _merge(first: list[str], second: list[str]) -> list[str]:
    return list(dict.fromkeys(first + second))


@lru_cache(maxsize=16384)
def _creator(author: str, traditional: bool) -> Creator:
    """The author as a creator; cached, as most authors wrote many poems."""
    simplified = to_simplified(author) if traditional else author
    return Creator(
        name=author,
        role="author",
        name_zh_hans=simplified,
        pinyin=pinyin(simplified, simplified=True) or None,
    )


@lru_cache(maxsize=64)
def _dynasty_time(dynasty: str) -> TimeSpan | None:
    span = dynasty_span(dynasty)
    if span is None:
        return None
    return TimeSpan(text=dynasty, earliest=span.earliest, latest=span.latest, label=span.label)


class _Bad(Exception):
    """A poem that cannot be mapped; becomes a ``Rejected``."""


def _ci_key(poem: dict[str, Any]) -> tuple[str, str, str] | None:
    lines = poem.get("paragraphs")
    author, rhythmic = poem.get("author"), poem.get("rhythmic")
    if not (isinstance(lines, list) and lines and isinstance(lines[0], str)):
        return None
    if not isinstance(author, str) or not isinstance(rhythmic, str):
        return None
    return author, rhythmic, lines[0]
