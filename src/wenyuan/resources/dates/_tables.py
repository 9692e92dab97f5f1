"""The dynasty and reign-era tables, read once from the package's TOML data files.

The tables are ``data/dynasties.toml`` and ``data/eras.toml``, written by us from public
reference works (their headers cite the sources). This module turns them into lookups by
every name a record may use: simplified and traditional Chinese, English (with or without
"dynasty" / "period"), and the pinyin key. Each Chinese name is also indexed in its folded
form (``wenyuan.core.text.fold``), which is how the parser sees the text: fold turns the 乾
of 乾封 or 乾化 into 干, so those eras would otherwise never match.

``dynasty_names`` is the other direction, for pages that show a record's dynasty: each
Chinese name of a dynasty or of a period in ``dynasties.toml``'s ``[[period]]`` table, in
simplified and traditional characters, with its English name.

Hazard: holds process-wide state; the tables are loaded on first use and cached for the life
of the process (``tables()``), so they must be treated as read-only.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from wenyuan.core.text import fold, pinyin_compact

__all__ = ["Dynasty", "Era", "Tables", "dynasty_names", "tables"]

_EN_SUFFIXES = ("", " dynasty", " period", " era", " kingdom", " kingdoms")


@dataclass(frozen=True, slots=True)
class Dynasty:
    """A dynasty, one of its subdivisions, or a named period, with its span in years."""

    key: str
    zh_hans: str
    zh_hant: str
    en: str
    start: int
    end: int
    reign_from: int
    facet: bool
    country: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Era:
    """A reign era (年号): its name, its dynasty and its first and last year."""

    name: str
    dynasty: Dynasty
    start: int
    end: int
    romanised: str


@dataclass(frozen=True, slots=True)
class Tables:
    """Every dynasty and era, and the lookups the parser needs (all keys folded)."""

    dynasties: tuple[Dynasty, ...]
    eras: tuple[Era, ...]
    dynasty_by_name: dict[str, Dynasty]
    eras_by_name: dict[str, tuple[Era, ...]]
    facets: tuple[Dynasty, ...]
    #: Each Chinese name (simplified, traditional) of a dynasty or named period → its English.
    english: Mapping[str, str]


def _read(name: str) -> dict[str, Any]:
    data = resources.files("wenyuan.resources.dates").joinpath("data", name).read_bytes()
    return tomllib.loads(data.decode("utf-8"))


def _dynasty(row: dict[str, Any]) -> Dynasty:
    return Dynasty(
        key=row["key"],
        zh_hans=row["zh_hans"],
        zh_hant=row["zh_hant"],
        en=row["en"],
        start=int(row["start"]),
        end=int(row["end"]),
        reign_from=int(row.get("reign_from", row["start"])),
        facet=bool(row.get("facet", False)),
        country=str(row.get("country", "zh")),
        aliases=tuple(row.get("aliases", ())),
    )


def _names(dynasty: Dynasty) -> list[str]:
    """Every folded name a dynasty is known by (Chinese names first)."""
    names = [dynasty.zh_hans, dynasty.zh_hant, dynasty.key, dynasty.key.replace("-", " ")]
    english = [dynasty.en.lower(), *(a.lower() for a in dynasty.aliases if a.isascii())]
    names += [f"{e}{suffix}" for e in english for suffix in _EN_SUFFIXES]
    names += [a for a in dynasty.aliases if not a.isascii()]
    return names


@cache
def tables() -> Tables:
    """The tables, loaded on first call and shared afterwards."""
    dynasty_data = _read("dynasties.toml")
    dynasties = tuple(_dynasty(row) for row in dynasty_data["dynasty"])
    by_name: dict[str, Dynasty] = {}
    for dynasty in dynasties:
        for name in _names(dynasty):
            by_name.setdefault(name, dynasty)
            by_name.setdefault(fold(name), dynasty)
    by_hans = {d.zh_hans: d for d in dynasties}

    era_data = _read("eras.toml")
    rank = {name: i for i, name in enumerate(era_data["preference"])}
    groups = sorted(era_data["group"], key=lambda g: rank.get(g["dynasty"], len(rank)))
    eras: list[Era] = []
    for group in groups:
        dynasty = by_hans[group["dynasty"]]
        for row in group["eras"]:
            name, start, end = str(row[0]), int(row[1]), int(row[2])
            romanised = str(row[3]) if len(row) > 3 else pinyin_compact(name)
            eras.append(Era(name, dynasty, start, end, romanised))
    eras_by_name: dict[str, list[Era]] = {}
    for era in eras:
        for key in dict.fromkeys((era.name, fold(era.name), era.romanised)):
            eras_by_name.setdefault(key, []).append(era)
    return Tables(
        dynasties=dynasties,
        eras=tuple(eras),
        dynasty_by_name=by_name,
        eras_by_name={k: tuple(v) for k, v in eras_by_name.items()},
        facets=tuple(d for d in dynasties if d.facet),
        english=_english_names(dynasties, dynasty_data.get("period", [])),
    )


def _english_names(
    dynasties: tuple[Dynasty, ...], periods: list[dict[str, Any]]
) -> Mapping[str, str]:
    """Each Chinese name of the dynasties and the named periods → its English name.

    Raises ``ValueError`` if one Chinese name is given two English names: the data file
    must say which it means.
    """
    rows = [(d.zh_hans, d.zh_hant, d.en) for d in dynasties]
    rows += [(str(p["zh_hans"]), str(p["zh_hant"]), str(p["en"])) for p in periods]
    english: dict[str, str] = {}
    for hans, hant, en in rows:
        for name in (hans, hant):
            if english.setdefault(name, en) != en:
                raise ValueError(f"{name} is named both {english[name]!r} and {en!r}")
    return MappingProxyType(english)


def dynasty_names() -> Mapping[str, str]:
    """Each Chinese name of a dynasty or named period, simplified and traditional, with its
    English name (``"北宋"`` → ``"Northern Song"``, ``"金"`` → ``"Jin (Jurchen)"``).

    Aliases are not included: they are spellings the parser accepts, and some name a wider
    or narrower period than the dynasty they are dated as.
    """
    return tables().english
