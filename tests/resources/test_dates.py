"""Tests of the date parser: phrasings, conventions, tables and the real CMOA collection."""

from __future__ import annotations

import json
import re
import tarfile
import time
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import wenyuan.resources.dates as dates
from wenyuan.core.errors import InvalidInput
from wenyuan.resources.dates import (
    DateSpan,
    dynasty_names,
    dynasty_of_year,
    dynasty_span,
    parse_date,
    try_parse_date,
)
from wenyuan.resources.dates._tables import tables

PHRASINGS = [
    # dynasties and subdivisions
    ("唐", 618, 907),
    ("北宋", 960, 1127),
    ("南宋", 1127, 1279),
    ("宋", 960, 1279),
    ("五代", 907, 960),
    ("东晋", 317, 420),
    ("東晉", 317, 420),
    ("西汉", -202, 8),
    ("东汉", 25, 220),
    ("春秋", -770, -476),
    ("战国", -475, -221),
    ("商", -1600, -1046),
    ("西周", -1046, -771),
    ("刘宋", 420, 479),
    ("唐代", 618, 907),
    ("明朝", 1368, 1644),
    ("Tang dynasty", 618, 907),
    ("Northern Song", 960, 1127),
    ("Han Dynasty", -202, 220),
    # reign eras
    ("清乾隆", 1736, 1795),
    ("乾隆", 1736, 1795),
    ("乾隆五十年", 1785, 1785),
    ("宣德三年", 1428, 1428),
    ("开元二十年", 732, 732),
    ("開元二十年", 732, 732),
    ("乾隆元年", 1736, 1736),
    ("康熙廿三年", 1684, 1684),
    ("万历卅年", 1602, 1602),
    ("天宝十五载", 756, 756),
    ("明宣德三年", 1428, 1428),
    ("大清乾隆年制", 1736, 1795),
    ("元至元三年", 1266, 1266),
    ("民国二十年", 1931, 1931),
    ("Qianlong reign", 1736, 1795),
    ("Qianlong period", 1736, 1795),
    ("Kangxi", 1662, 1722),
    # centuries and decades
    ("18世纪", 1701, 1800),
    ("十八世纪", 1701, 1800),
    ("公元前3世纪", -300, -201),
    ("8th century BCE", -800, -701),
    ("18th century", 1701, 1800),
    ("19th–20th century", 1801, 2000),
    ("1860s", 1860, 1869),
    ("1900s", 1900, 1909),
    ("19世纪60年代", 1860, 1869),
    ("early 19th century", 1801, 1834),
    ("mid-18th century", 1734, 1767),
    ("late 19th century", 1867, 1900),
    ("first half of the 20th century", 1901, 1950),
    ("c. second half of the 19th century-early 20th century", 1851, 1934),
    ("c. mid- to late-19th century", 1834, 1900),
    ("18世纪末", 1767, 1800),
    ("明代中期", 1460, 1552),
    # years
    ("1785", 1785, 1785),
    ("1785年", 1785, 1785),
    ("公元前206年", -206, -206),
    ("206 BC", -206, -206),
    ("206 BCE", -206, -206),
    ("AD 618", 618, 618),
    ("一九八五年", 1985, 1985),
    ("c. 1850", 1845, 1855),
    ("ca. 1850", 1845, 1855),
    ("circa 1850", 1845, 1855),
    ("约1850年", 1845, 1855),
    ("1850?", 1845, 1855),
    ("c. 1920s", 1915, 1934),
    # ranges
    ("1368–1644", 1368, 1644),
    ("1368-1644", 1368, 1644),
    ("1850 to 1860", 1850, 1860),
    ("1870-75", 1870, 1875),
    ("1368至1644年", 1368, 1644),
    ("元至明", 1271, 1644),
    ("c. 1875-1880", 1870, 1885),
    ("206 BCE-220 CE", -206, 220),
    ("c. 1570-1320 BCE", -1575, -1315),
    # museum phrasings
    ("Ming dynasty (1368–1644)", 1368, 1644),
    ("Qing dynasty, Qianlong period (1736–1795)", 1736, 1795),
    ("Edo period (1615–1868)", 1615, 1868),
    ("Edo period (1603-1867), 19th century", 1801, 1867),
    ("Tang Dynasty, 618-907", 618, 907),
    ("26th Dynasty, 664-525 BCE", -664, -525),
    ("late Qing?", 1822, 1911),
    ("before 1900", 1875, 1900),
    ("after 1850", 1850, 1875),
    ("1900年以前", 1875, 1900),
    ("1922 or earlier", 1897, 1922),
    ("no earlier than 1906", 1906, 1931),
    # full dates and several dates
    ("1916-06-01", 1916, 1916),
    ("June 1, 1916", 1916, 1916),
    ("3/29/1930", 1930, 1930),
    ("October 1944", 1944, 1944),
    ("1916年6月1日", 1916, 1916),
    ("1916, printed 1980", 1916, 1916),
    ("1953 (designed) c. 1977 (manufactured)", 1972, 1982),
    ("designed 1944, manufactured 1999", 1999, 1999),
]


@pytest.mark.parametrize(("text", "earliest", "latest"), PHRASINGS, ids=[p[0] for p in PHRASINGS])
def test_phrasing(text: str, earliest: int, latest: int) -> None:
    """Each phrasing reads to the documented span, both ends exact."""
    span = parse_date(text)
    assert (span.earliest, span.latest) == (earliest, latest)
    assert span.text == text


LABELS = [
    ("唐", "唐 (618–907)"),
    ("乾隆五十年", "清乾隆五十年 (1785)"),
    ("宋元丰二年", "宋元丰二年 (1079)"),
    ("1368-1644", "1368–1644"),
    ("206 BCE", "206 BCE"),
]


@pytest.mark.parametrize(("text", "label"), LABELS, ids=[p[0] for p in LABELS])
def test_label(text: str, label: str) -> None:
    """The label is the normalised, readable form of the date."""
    assert parse_date(text).label == label


UNREADABLE = ["", "   ", "n.d.", "undated", "no date", "not dated", "年代不详", "hello", "x" * 201]


@pytest.mark.parametrize("text", UNREADABLE, ids=[t[:12] or "empty" for t in UNREADABLE])
def test_unreadable_raises(text: str) -> None:
    """Text with no understood date raises InvalidInput, and try_parse_date gives None."""
    with pytest.raises(InvalidInput):
        parse_date(text)
    assert try_parse_date(text) is None


def test_error_names_the_text() -> None:
    """The error message quotes the text that could not be read."""
    with pytest.raises(InvalidInput, match="hello world"):
        parse_date("hello world")


def test_regnal_year_past_the_era_raises() -> None:
    """A regnal year far beyond the era's end is an error, not a guess."""
    with pytest.raises(InvalidInput, match="宣统"):
        parse_date("宣统三十年")


def test_try_parse_date_accepts_none() -> None:
    """try_parse_date(None) is None."""
    assert try_parse_date(None) is None


def test_as_dict() -> None:
    """as_dict gives text, earliest, latest and label."""
    assert parse_date("1785").as_dict() == {
        "text": "1785",
        "earliest": 1785,
        "latest": 1785,
        "label": "1785",
    }


def test_date_span_is_frozen() -> None:
    """A DateSpan cannot be changed after it is made."""
    span = parse_date("1785")
    with pytest.raises(AttributeError):
        span.earliest = 1  # type: ignore[misc]


def test_public_surface() -> None:
    """The package exports exactly its documented names, sorted (constants, then classes,
    then functions, as ruff's RUF022 keeps them)."""
    order = sorted(dates.__all__, key=lambda n: (not n.isupper(), not n[:1].isupper(), n))
    assert dates.__all__ == order
    assert set(dates.__all__) == {
        "MAX_LENGTH",
        "DateSpan",
        "dynasty_names",
        "dynasty_of_year",
        "dynasty_span",
        "parse_date",
        "try_parse_date",
    }
    assert isinstance(parse_date("1785"), DateSpan)


years = st.integers(min_value=-3000, max_value=2100).filter(lambda y: y != 0)


@given(years)
def test_year_roundtrip(year: int) -> None:
    """Any year but 0 reads back as itself, written in English or in Chinese."""
    english = str(year) if year > 0 else f"{-year} BCE"
    chinese = f"{year}年" if year > 0 else f"公元前{-year}年"
    for text in (english, chinese):
        span = parse_date(text)
        assert (span.earliest, span.latest) == (year, year)


@given(st.integers(min_value=-3000, max_value=2090).filter(lambda y: y != 0))
def test_circa_has_no_year_zero(year: int) -> None:
    """Circa widens by five years each side, counting across 1 BCE → 1 CE without a year 0."""
    text = f"c. {year}" if year > 0 else f"c. {-year} BCE"
    span = parse_date(text)
    assert 0 not in (span.earliest, span.latest)
    years_covered = span.latest - span.earliest + 1 - (span.earliest < 0 < span.latest)
    assert years_covered == 11
    assert span.earliest <= year <= span.latest


DYNASTY_NAMES = [
    ("唐", 618, 907),
    ("tang", 618, 907),
    ("Tang dynasty", 618, 907),
    ("song", 960, 1279),
    ("yuan", 1271, 1368),
    ("ming", 1368, 1644),
    ("qing", 1644, 1911),
    ("zhou", -1046, -256),
    ("pre-qin", -2070, -221),
    ("東晉", 317, 420),
    ("Northern Song", 960, 1127),
    ("北宋", 960, 1127),
    ("宋代", 960, 1279),
]


@pytest.mark.parametrize(("name", "start", "end"), DYNASTY_NAMES, ids=[d[0] for d in DYNASTY_NAMES])
def test_dynasty_span(name: str, start: int, end: int) -> None:
    """A dynasty is found by its Chinese, English or pinyin name."""
    span = dynasty_span(name)
    assert span is not None
    assert (span.earliest, span.latest) == (start, end)


def test_dynasty_span_unknown() -> None:
    """An unknown dynasty name gives None."""
    assert dynasty_span("Atlantis") is None


YEARS = [
    (755, "唐"),
    (1785, "清"),
    (1000, "北宋"),
    (1200, "南宋"),
    (-300, "战国"),
    (1930, "中华民国"),
]


@pytest.mark.parametrize(("year", "name"), YEARS, ids=[str(y) for y, _ in YEARS])
def test_dynasty_of_year(year: int, name: str) -> None:
    """The main dynasty of a year, in simplified Chinese."""
    assert dynasty_of_year(year) == name


def test_dynasty_of_year_outside_the_tables() -> None:
    """Year 0 and years after the tables give None."""
    assert dynasty_of_year(0) is None
    assert dynasty_of_year(2020) is None


def test_every_era_lies_within_its_dynasty() -> None:
    """Every era in the table starts and ends within its dynasty's span (or its reign years)."""
    for era in tables().eras:
        assert era.start <= era.end, era
        assert era.dynasty.reign_from <= era.start, era
        assert era.end <= era.dynasty.end, era


def test_every_dynasty_span_is_ordered() -> None:
    """Every dynasty starts before it ends, and no year is 0."""
    for dynasty in tables().dynasties:
        assert dynasty.start < dynasty.end, dynasty
        assert 0 not in (dynasty.start, dynasty.end)


def test_required_dynasties_are_present() -> None:
    """The dynasties the issue lists are all in the table."""
    required = [
        "夏",
        "商",
        "西周",
        "东周",
        "春秋",
        "战国",
        "秦",
        "西汉",
        "新",
        "东汉",
        "三国",
        "魏",
        "蜀",
        "吴",
        "西晋",
        "东晋",
        "十六国",
        "南北朝",
        "刘宋",
        "南齐",
        "梁",
        "陈",
        "北魏",
        "东魏",
        "西魏",
        "北齐",
        "北周",
        "隋",
        "唐",
        "五代",
        "后梁",
        "后唐",
        "后晋",
        "后汉",
        "后周",
        "十国",
        "辽",
        "北宋",
        "南宋",
        "西夏",
        "金",
        "元",
        "明",
        "清",
        "中华民国",
    ]
    for name in required:
        assert dynasty_span(name) is not None, name


def _dynasty_file() -> dict[str, Any]:
    """dynasties.toml as written, read here independently of the tables module."""
    data = resources.files("wenyuan.resources.dates").joinpath("data", "dynasties.toml")
    return tomllib.loads(data.read_text(encoding="utf-8"))


def test_every_dynasty_and_period_has_an_english_name_in_both_scripts() -> None:
    """Each [[dynasty]] and [[period]] of dynasties.toml has an English name, and
    ``dynasty_names`` gives it for both the simplified and the traditional Chinese name."""
    data = _dynasty_file()
    rows = data["dynasty"] + data["period"]
    assert len(data["period"]) >= 6
    names = dynasty_names()
    for row in rows:
        assert row["en"].strip(), row
        assert names[row["zh_hans"]] == row["en"], row
        assert names[row["zh_hant"]] == row["en"], row
    assert set(names) == {row[script] for row in rows for script in ("zh_hans", "zh_hant")}


@pytest.mark.parametrize(
    ("name", "english"),
    [
        pytest.param("金", "Jin (Jurchen)", id="jurchen-jin-apart-from-jin"),
        pytest.param("晋", "Jin", id="jin"),
        pytest.param("中华民国", "Republic of China", id="full-name"),
        pytest.param("民国", "Republic of China", id="period-short-form"),
        pytest.param("五代十国", "Five Dynasties and Ten Kingdoms", id="period-wider-than-alias"),
        pytest.param("今", "the present", id="period-without-span"),
        pytest.param("東漢", "Eastern Han", id="traditional"),
    ],
)
def test_dynasty_names(name: str, english: str) -> None:
    """Chinese names give the English the data file writes for them."""
    assert dynasty_names()[name] == english


def test_aliases_are_spellings_not_names() -> None:
    """An alias the parser reads (武周 dated as 唐, 六朝) is not given its dynasty's name."""
    assert dynasty_span("武周") is not None
    assert "武周" not in dynasty_names()
    assert "六朝" not in dynasty_names()


def test_periods_are_not_dated_by_the_parser() -> None:
    """The [[period]] table names periods only: the parser dates none of them by it."""
    assert dynasty_span("历代") is None
    assert dynasty_span("今") is None
    assert dynasty_span("旧石器时代") is None


def test_parse_rate() -> None:
    """Typical museum strings parse at over 20,000 a second (best of three rounds)."""
    texts = ["1955", "c. 1993", "1955-1957", "c. 1875-1880", "18th century", "1860s"] * 500
    try_parse_date("warm up")
    best = 0.0
    for _ in range(3):
        started = time.perf_counter()
        for text in texts:
            try_parse_date(text)
        best = max(best, len(texts) / (time.perf_counter() - started))
    assert best > 20_000


def _museum_year(iso: str) -> int | None:
    found = re.fullmatch(r"(-?)(\d{1,4})-(\d{2})-(\d{2})", iso)
    if not found:
        return None
    sign, year, month, day = found.groups()
    value = int(year) + (int(month) == 12 and int(day) >= 20)
    return -value if sign else value


@pytest.mark.shared_data
def test_cmoa_dates_agree_with_the_museum(shared_data: Path) -> None:
    """On the first 3000 CMOA objects, ≥ 90 % of dates agree with the museum's within 5 years."""
    compared = agree = 0
    with tarfile.open(shared_data / "cmoa-collection.tar.xz", "r|xz") as tar:
        seen = 0
        for member in tar:
            if not (member.isfile() and "/cmoa/" in member.name and member.name.endswith(".json")):
                continue
            handle = tar.extractfile(member)
            assert handle is not None
            obj = json.loads(handle.read())
            seen += 1
            if seen > 3000:
                break
            text, earliest, latest = (
                obj.get("creation_date"),
                obj.get("creation_date_earliest"),
                obj.get("creation_date_latest"),
            )
            if not (text and earliest and latest):
                continue
            truth = (_museum_year(earliest), _museum_year(latest))
            if None in truth:
                continue
            compared += 1
            span = try_parse_date(text)
            agree += (
                span is not None
                and abs(span.earliest - truth[0]) <= 5  # type: ignore[operator]
                and abs(span.latest - truth[1]) <= 5  # type: ignore[operator]
            )
    assert compared > 2000
    assert agree / compared >= 0.90
