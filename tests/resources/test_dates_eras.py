"""Tests of the reign eras from the Three Kingdoms to the Western Xia, and of W3CDTF dates.

The known answers were checked one by one against the sources cited in data/eras.toml (each
regnal year as 元年 + n - 1, e.g. 开皇九年 = 581 + 8 = 589, the year the Sui took the Chen).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wenyuan.resources.dates import parse_date, try_parse_date
from wenyuan.resources.dates._tables import Era, tables

KNOWN = [
    # 三国
    ("黄初", 220, 226),
    ("魏黄初", 220, 226),
    ("曹魏太和二年", 228, 228),
    ("正始", 240, 249),
    ("蜀汉章武", 221, 223),
    ("建兴五年", 227, 227),  # 诸葛亮's 出师表
    ("吴黄武", 222, 229),
    ("孙吴赤乌", 238, 251),
    ("天纪", 277, 280),
    # 西晋, 东晋
    ("泰始元年", 265, 265),
    ("太康", 280, 289),
    ("西晋太康", 280, 289),
    ("西晋永嘉", 307, 313),
    ("永嘉五年", 311, 311),  # 东汉's 永嘉 (145) lasted one year
    ("东晋永和", 345, 356),
    ("永和九年", 353, 353),  # 兰亭集序
    ("东晋永和九年", 353, 353),
    ("東晉永和九年", 353, 353),
    ("太元", 376, 396),
    ("义熙", 405, 418),
    # 南朝
    ("刘宋元嘉", 424, 453),
    ("宋元嘉二十年", 443, 443),  # 宋 with an era only 刘宋 had is 刘宋
    ("大明五年", 461, 461),
    ("南齐永明", 483, 493),
    ("梁天监", 502, 519),
    ("梁大同", 535, 546),
    ("陈太建", 569, 582),
    ("祯明", 587, 589),
    # 北朝
    ("北魏太和", 477, 499),
    ("太和十三年", 489, 489),
    ("北魏正光", 520, 525),
    ("东魏武定", 543, 550),
    ("西魏大统", 535, 551),
    ("北齐天保", 550, 559),
    ("北周保定", 561, 565),
    ("北周大定", 581, 581),
    # 隋
    ("开皇", 581, 600),
    ("開皇九年", 589, 589),
    ("开皇九年", 589, 589),
    ("大业", 605, 618),
    # 五代
    ("后梁开平", 907, 911),
    ("后梁乾化", 911, 915),
    ("后唐同光", 923, 926),
    ("后晋天福", 936, 944),
    ("后汉乾祐", 948, 950),
    ("显德", 954, 960),
    ("后周显德六年", 959, 959),
    # 十国
    ("前蜀乾德", 919, 924),
    ("后蜀广政", 938, 965),
    ("南唐保大", 943, 957),
    # 辽, 金, 西夏
    ("统和", 983, 1012),
    ("遼統和", 983, 1012),
    ("辽重熙", 1032, 1055),
    ("乾统", 1101, 1110),
    ("大定", 1161, 1189),
    ("金大定", 1161, 1189),
    ("大定二十年", 1180, 1180),
    ("泰和", 1201, 1208),
    ("天盛", 1149, 1169),
    ("西夏天盛", 1149, 1169),
    ("西夏乾祐二十年", 1189, 1189),  # 己酉, as Khara-Khoto colophons date it
    ("西夏贞观", 1101, 1113),
    # the older tables still win when no dynasty is given
    ("建安", 196, 220),
    ("贞观", 627, 649),
    ("乾德", 963, 968),
    ("太和", 827, 835),  # 唐's 大和, as the 旧唐书 writes it
    ("唐太和", 827, 835),
    # eras with 乾, which the text fold turns into 干
    ("乾封二年", 667, 667),
    ("乾德三年", 965, 965),
    ("乾兴元年", 1022, 1022),
    # romanised
    ("Kaihuang", 581, 600),
    ("Chongxi", 1032, 1055),
    ("Qianhua", 911, 915),
]


@pytest.mark.parametrize(("text", "earliest", "latest"), KNOWN)
def test_known_era(text: str, earliest: int, latest: int) -> None:
    """Each era or regnal year gives the span the reference works give."""
    span = parse_date(text)
    assert (span.earliest, span.latest) == (earliest, latest), span


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("永和九年", "东晋永和九年 (353)"),
        ("北魏太和", "北魏太和 (477–499)"),
        ("乾封二年", "唐乾封二年 (667)"),
        ("后梁乾化", "后梁乾化 (911–915)"),
    ],
)
def test_era_label(text: str, label: str) -> None:
    """The label names the era's dynasty as the era was read."""
    assert parse_date(text).label == label


def test_new_dynasties_have_spans() -> None:
    """The three kingdoms of the Ten added with their eras are dynasties too."""
    spans = {name: parse_date(name) for name in ("前蜀", "后蜀", "南唐")}
    assert {k: (v.earliest, v.latest) for k, v in spans.items()} == {
        "前蜀": (907, 925),
        "后蜀": (934, 965),
        "南唐": (937, 975),
    }


def test_every_era_is_ordered_and_within_its_dynasty() -> None:
    """Every era's first year is ≤ its last, and both lie in its dynasty's reign years."""
    for era in tables().eras:
        assert era.start <= era.end, era
        assert era.dynasty.reign_from <= era.start <= era.end <= era.dynasty.end, era


def test_eras_of_a_dynasty_follow_each_other() -> None:
    """Within a dynasty the eras come in order, with no year missing between two of them."""
    by_dynasty: dict[str, list[Era]] = {}
    for era in tables().eras:
        by_dynasty.setdefault(era.dynasty.zh_hans, []).append(era)
    for eras in by_dynasty.values():
        reached = eras[0].end  # the latest year counted so far (凤历 falls inside 乾化)
        for before, after in pairwise(eras):
            assert before.start <= after.start, (before, after)
            assert after.start <= reached + 1 or (reached, after.start) == (-1, 1), after
            reached = max(reached, after.end)


def _unique_in_dynasty() -> list[Era]:
    """Eras whose name occurs once in their dynasty, and not "元延祐": the scanner reads the
    longest name first, so that is the Western Han's 元延 (a known limit)."""
    seen: dict[tuple[str, str], int] = {}
    for era in tables().eras:
        key = (era.dynasty.zh_hans, era.name)
        seen[key] = seen.get(key, 0) + 1
    return [
        e
        for e in tables().eras
        if seen[(e.dynasty.zh_hans, e.name)] == 1 and (e.dynasty.zh_hans, e.name) != ("元", "延祐")
    ]


def _numeral(number: int) -> str:
    names = "〇一二三四五六七八九"
    if number == 1:
        return "元"
    tens, units = divmod(number, 10)
    head = "" if tens == 0 else ("" if tens == 1 else names[tens]) + "十"
    return head + (names[units] if units else "")


@settings(deadline=None)  # the first call builds the tables and the scanner
@given(st.data())
def test_regnal_year_in_its_dynasty(data: st.DataObject) -> None:
    """ "<dynasty><era><n>年" is the era's first year + n - 1, for every era and year."""
    era = data.draw(st.sampled_from(_unique_in_dynasty()))
    first = era.start + 1 if era.start < 0 else era.start  # astronomical
    last = era.end + 1 if era.end < 0 else era.end
    number = data.draw(st.integers(1, last - first + 1))
    year = first + number - 1
    expected = year - 1 if year <= 0 else year
    span = parse_date(f"{era.dynasty.zh_hans}{era.name}{_numeral(number)}年")
    assert (span.earliest, span.latest) == (expected, expected), (era, number, span)


# -- W3CDTF / ISO 8601 --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("2003-04-22T13:13:44Z", 2003),
        ("2003-04", 2003),
        ("1999-12-31T23:59:59+08:00", 1999),
        ("1999-12-31T23:59:59.25-05:00", 1999),
        ("2003-04-22T13:13Z", 2003),
        ("2003-04-22 13:13:44", 2003),
        (" 1984-05 ", 1984),
    ],
)
def test_w3cdtf_is_one_year(text: str, year: int) -> None:
    """A W3CDTF date or timestamp is its year alone, whatever the time and zone."""
    span = try_parse_date(text)
    assert span is not None
    assert (span.earliest, span.latest, span.label) == (year, year, str(year))


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [("1955-1957", 1955, 1957), ("1910-13", 1910, 1913), ("1984-85", 1984, 1985)],
)
def test_year_ranges_are_not_months(text: str, earliest: int, latest: int) -> None:
    """A second part that is not a month 01–12 keeps its reading as a range of years."""
    span = parse_date(text)
    assert (span.earliest, span.latest) == (earliest, latest)


@settings(deadline=None)
@given(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(2100, 12, 31)),
    st.integers(-12 * 60, 14 * 60),
    st.sampled_from(["seconds", "milliseconds", "minutes"]),
)
def test_any_iso_timestamp_is_its_year(moment: datetime, offset: int, spec: str) -> None:
    """Python's own ISO 8601 renderings, with any zone, all read as the year written."""
    zone = timezone(timedelta(minutes=offset)) if offset else UTC
    stamp = moment.replace(tzinfo=zone).isoformat(timespec=spec)
    if not offset:
        stamp = stamp.replace("+00:00", "Z")
    for text in (stamp, stamp[:10], stamp[:7]):
        span = try_parse_date(text)
        assert span is not None, text
        assert span.earliest == span.latest == moment.year, text
