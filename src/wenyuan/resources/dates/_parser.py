"""The date parser: free-text dates as museums and libraries write them, to year spans.

Hand-written because no maintained library reads Chinese reign eras (乾隆五十年), dynasties
and their subdivisions, and the English phrasings of museum catalogues ("c. second half of
the 19th century", "Qing dynasty, Qianlong period (1736–1795)") into a year span.

How a text is read:

0. A bare year ("1916") or a W3CDTF / ISO 8601 date or timestamp ("2003-04",
   "2003-04-22T13:13:44Z", "1999-12-31T23:59:59+08:00") is that one year. Hazard: so
   "1910-12" is December 1910, not 1910–1912 (a month 01–12 is always read as a month; the
   difference is within any tolerance a catalogue date has).
1. Normalise: NFKC, lower case, traditional to simplified characters (only when the text has
   CJK characters), every dash to "-"; full dates ("1916-06-01", "June 1, 1916", "3/29/1930",
   "1916年6月1日") are reduced to their year.
2. Scan the text once with one precompiled regular expression into tokens: years, decades,
   centuries, dynasty and era names (with a regnal year), qualifiers, circa, before/after,
   BCE/CE markers, range separators and breaks (commas, parentheses).
3. Build terms, join "term - term" into ranges, and read the groups in order: the first is
   the date; a later group that overlaps it and is narrower refines it (so "Edo period
   (1603–1867), 19th century" is 1801–1868, while "1916, printed 1980" stays 1916). When a
   text names the date of manufacture ("1953 (designed) c. 1977 (manufactured)"), that date
   is the object's.

Conventions (all years historical: 206 BCE is -206, there is no year 0):

- "c." / "ca." / "circa" / "约" / "?" widen a year or decade by 5 years each side
  (``CIRCA``), as CMOA's own earliest/latest do; a century or a named period is not widened.
- Centuries run from year 1: "18th century" is 1701–1800, "公元前3世纪" is -300..-201.
- "early / mid / late" take the first, middle and last third of the span (rounded outwards,
  so "early 19th century" is 1801–1834); "first / second half", quarters likewise.
- "1860s" is 1860–1869 (also "1900s", which is how CMOA uses it).
- "before Y" is Y-25..Y and "after Y" is Y..Y+25 (``OPEN_SPAN``).
- A regnal year counts from 元年 = the era's first year (乾隆五十年 = 1736 + 49 = 1785).
- A repeated era name is read in the dynasty named just before it ("北魏太和"), else as the
  era of ``preference`` in data/eras.toml long enough for its regnal year (``_pick_era``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from math import ceil, floor
from typing import Any

from wenyuan.core.errors import InvalidInput
from wenyuan.core.text import fold
from wenyuan.resources.dates._tables import Dynasty, Era, tables

__all__ = [
    "CIRCA",
    "MAX_LENGTH",
    "OPEN_SPAN",
    "DateSpan",
    "dynasty_of_year",
    "dynasty_span",
    "parse_date",
    "try_parse_date",
]

CIRCA = 5
OPEN_SPAN = 25
MAX_LENGTH = 200
_MAX_YEAR = 2100


@dataclass(frozen=True, slots=True)
class DateSpan:
    """A date as written (``text``) and the years it covers, both ends included.

    ``earliest`` and ``latest`` are historical years: 206 BCE is -206 and there is no year 0.
    ``label`` is a readable normalised form, e.g. "唐 (618–907)" or "清乾隆五十年 (1785)".
    """

    text: str
    earliest: int
    latest: int
    label: str

    def as_dict(self) -> dict[str, Any]:
        """The span as a JSON-ready mapping."""
        return {
            "text": self.text,
            "earliest": self.earliest,
            "latest": self.latest,
            "label": self.label,
        }


# -- years: historical outside, astronomical (1 BCE = 0) inside ------------------------------


def _astro(year: int) -> int:
    return year + 1 if year < 0 else year


def _hist(year: int) -> int:
    return year - 1 if year <= 0 else year


def _fmt(year: int) -> str:
    """A historical year for a numeric label: "1785", "206 BCE"."""
    return f"{-year} BCE" if year < 0 else str(year)


def _fmt_zh(year: int) -> str:
    return f"前{-year}" if year < 0 else str(year)


def _span_label(earliest: int, latest: int) -> str:
    if earliest == latest:
        return _fmt(earliest)
    return f"{_fmt(earliest)}–{_fmt(latest)}"


# -- Chinese numerals -----------------------------------------------------------------------

_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}
_CN_DIGITS |= {"八": 8, "九": 9, "两": 2}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_TENS = {"廿": 20, "卅": 30, "卌": 40}


def _cn_int(text: str) -> int:
    """An integer written in Arabic digits or Chinese numerals (incl. 廿, 卅, and 元 = 1)."""
    if text.isdigit():
        return int(text)
    if text in ("元", "正"):
        return 1
    if not any(c in _CN_UNITS or c in _CN_TENS for c in text):
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    total = current = 0
    for char in text:
        if char in _CN_DIGITS:
            current = _CN_DIGITS[char]
        elif char in _CN_TENS:
            total += _CN_TENS[char]
            current = 0
        else:
            total += (current or 1) * _CN_UNITS[char]
            current = 0
    return total + current


def _cn_numeral(number: int) -> str:
    """1..99 in Chinese numerals as regnal years are written (元 for 1)."""
    if number == 1:
        return "元"
    names = "〇一二三四五六七八九"
    tens, units = divmod(number, 10)
    if tens == 0:
        return names[units]
    head = "" if tens == 1 else names[tens]
    return f"{head}十{names[units] if units else ''}"


# -- normalisation --------------------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_DASHES = re.compile(r"[‐‑‒–—―−~～〜]")
_SPACES = re.compile(r"\s+")
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_FULL_DATES = [
    (re.compile(r"\b(\d{4})-\d{1,2}-\d{1,2}\b"), r"\1"),
    (re.compile(r"\b\d{1,2}/\d{1,2}/(\d{4})\b"), r"\1"),
    (re.compile(r"\b\d{1,2}/(\d{4})\b"), r"\1"),
    (
        re.compile(
            rf"\b{_MONTHS}\s+(?:\d{{1,2}}(?:st|nd|rd|th)?(?:\s*-\s*\d{{1,2}})?,?\s+)?(\d{{4}})\b"
        ),
        r"\1",
    ),
    (re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS},?\s+(\d{{4}})\b"), r"\1"),
    (re.compile(r"\b(?:spring|summer|autumn|fall|winter)(?:\s+of)?,?\s+(\d{4})\b"), r"\1"),
    (re.compile(r"\b(early|mid|middle|late)\s*-\s*"), r"\1 "),
    (
        re.compile(
            r"(?:闰)?[\d〇一二三四五六七八九十正冬腊]{1,3}月(?:[\d〇一二三四五六七八九十廿卅初]{1,3}[日号])?"
        ),
        "",
    ),
]
_UNKNOWN = re.compile(
    r"^\W*(?:n\.?\s?d\.?|undated|no date|not dated|date unknown|unknown|unknown date|"
    r"年代不详|年代不明|不详|无年款|无纪年)\W*$"
)
_MANUFACTURED = (
    re.compile(r"\bmanufactured\s*:?\s*([^,;()]+)"),
    re.compile(r"([^,;()]+)\(\s*manufactured\s*\)"),
)


_MAY_HOLD_FULL_DATES = re.compile(
    r"[/月]|\d-\d{1,2}-\d|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|spring|summer"
    r"|autumn|fall|winter|early|mid|middle|late)"
)


def _normalise(text: str) -> str:
    norm = text
    if not text.isascii():
        norm = unicodedata.normalize("NFKC", text)
        if _CJK.search(norm):
            norm = fold(norm)
    if not text.isascii() or "~" in text:
        norm = _DASHES.sub("-", norm)
    norm = norm.lower()
    if _MAY_HOLD_FULL_DATES.search(norm):
        for pattern, repl in _FULL_DATES:
            norm = pattern.sub(repl, norm)
    return _SPACES.sub(" ", norm).strip()


# -- the scanner ----------------------------------------------------------------------------


def _trie_pattern(words: list[str]) -> str:
    """A regex alternation of ``words`` factored by common prefixes, longest match first."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(c) + build(child) for c, child in sorted(node.items()) if c]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


_CN_NUM = "〇零一二三四五六七八九十廿卅两"
_QUAL_EN = {
    "early": (0, 1 / 3),
    "beginning of the": (0, 1 / 3),
    "mid": (1 / 3, 2 / 3),
    "middle": (1 / 3, 2 / 3),
    "middle of the": (1 / 3, 2 / 3),
    "late": (2 / 3, 1),
    "end of the": (2 / 3, 1),
    "first half of the": (0, 1 / 2),
    "first half of": (0, 1 / 2),
    "second half of the": (1 / 2, 1),
    "second half of": (1 / 2, 1),
    "last half of the": (1 / 2, 1),
    "last half of": (1 / 2, 1),
    "latter half of the": (1 / 2, 1),
    "first quarter of the": (0, 1 / 4),
    "second quarter of the": (1 / 4, 1 / 2),
    "third quarter of the": (1 / 2, 3 / 4),
    "last quarter of the": (3 / 4, 1),
    "fourth quarter of the": (3 / 4, 1),
}
_QUAL_ZH = {
    "初期": (0, 1 / 3),
    "初年": (0, 1 / 3),
    "早期": (0, 1 / 3),
    "前期": (0, 1 / 3),
    "初": (0, 1 / 3),
    "中期": (1 / 3, 2 / 3),
    "中叶": (1 / 3, 2 / 3),
    "后期": (2 / 3, 1),
    "晚期": (2 / 3, 1),
    "末期": (2 / 3, 1),
    "末年": (2 / 3, 1),
    "末": (2 / 3, 1),
    "晚": (2 / 3, 1),
    "上半叶": (0, 1 / 2),
    "上半期": (0, 1 / 2),
    "下半叶": (1 / 2, 1),
    "下半期": (1 / 2, 1),
}


def _alternation(words: list[str] | dict[str, Any]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@cache
def _scanner() -> re.Pattern[str]:
    """The one token pattern, built on first use from the tables."""
    t = tables()
    zh_names = [n for n in [*t.dynasty_by_name, *t.eras_by_name] if not n.isascii()]
    en_names = [n for n in [*t.dynasty_by_name, *t.eras_by_name] if n.isascii()]
    zh_first = "".join(sorted({re.escape(n[0]) for n in zh_names}))
    parts = [
        r"(?P<brk>[,;:()\[\]、]|\band\b)",
        r"(?P<skip>\d{1,2}(?:st|nd|rd|th)\s+(?:dynast|kingdom)|(?:design )?patent[ .\d,]*)",
        rf"(?P<cdec>(\d{{1,2}}|[{_CN_NUM}]+)\s*世纪\s*(\d|[{_CN_NUM}])0\s*年代)",
        rf"(?P<ccen>(\d{{1,2}}|[{_CN_NUM}]+)\s*世纪)",
        r"(?P<dec>(?<!\d)(\d{3}0)(?:'?s\b|\s*年代))",
        r"(?P<ord>(?<!\d)(\d{1,2})(?:st|nd|rd|th)\b)",
        r"(?P<num>(?<!\d)\d{1,4}(?!\d))",
        r"(?P<cw>\bcentur(?:y|ies)\b|\bcent\.)",
        r"(?P<bc>\bb\.?\s?c\.?(?:\s?e\.?)?(?![a-z])|公元前|前(?=\s*[\d〇一二三四五六七八九十]))",
        r"(?P<ad>\ba\.?\s?d\.?(?![a-z])|\bc\.?\s?e\.?(?![a-z])|公元)",
        r"(?P<approx>\bc(?:\.|a\.?|irca)(?![a-z])\s*|\bc(?=\s?\d)|\babout\b|\baround\b"
        r"|\bapprox(?:\.|imately\b)|\bprobably\b|\?|大约|约|左右|前后)",
        r"(?P<bef>\bbefore\b|\bprior to\b|\bn[ot] later than\b|\bby\b)",
        r"(?P<befp>\bor earlier\b|以前|之前)",
        r"(?P<aft>\bafter\b|\bno earlier than\b|\bnot before\b|\bsince\b)",
        r"(?P<aftp>\bor later\b|\bor after\b|以后|之后)",
        rf"(?P<qual>\b(?:{_alternation(_QUAL_EN)})\b)",
        rf"(?P<zname>(?=[{zh_first}])(?:{_trie_pattern(zh_names)})"
        rf"(?:\s*(元|正|\d{{1,2}}|[{_CN_NUM}]{{1,4}})\s*[年载])?)",
        rf"(?P<ename>\b(?=[a-z])(?:{_trie_pattern(en_names)})\b)",
        rf"(?P<cqual>{_alternation(_QUAL_ZH)})",
        r"(?P<befz>前)",
        r"(?P<sep>-|\bto\b|\buntil\b|\btill\b|\bthrough\b|/|至|到)",
        r"(?P<cyear>[〇零一二三四五六七八九]{4}(?=\s*年))",
    ]
    return re.compile("|".join(parts))


# -- terms ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Term:
    """A piece of a date: its span (astronomical years) and what may still modify it."""

    kind: str  # year, decade, century, name
    start: int
    end: int
    raw: int = 0
    digits: int = 0
    bc: bool | None = None
    approx: bool = False
    qual: tuple[float, float] | None = None
    open: str = ""  # "before" / "after"
    label: str = ""
    dynasty: Dynasty | None = None
    pos: int = 0
    extras: list[str] = field(default_factory=list)

    def apply_bc(self, bc: bool) -> None:
        self.bc = bc
        if bc and self.kind == "year":
            self.start = self.end = _astro(-self.raw)
        elif bc and self.kind == "century":
            self.start, self.end = _astro(-100 * self.raw), _astro(-100 * (self.raw - 1) - 1)

    def span(self) -> tuple[int, int]:
        start, end = self.start, self.end
        if self.qual is not None:
            length = end - start + 1
            lo, hi = self.qual
            start, end = start + floor(length * lo), start + ceil(length * hi) - 1
        if self.open == "before":
            start, end = start - OPEN_SPAN, start
        elif self.open == "after":
            start, end = end, end + OPEN_SPAN
        return start, end


def _century(number: int) -> _Term:
    return _Term("century", 100 * (number - 1) + 1, 100 * number, raw=number)


def _pick_era(eras: tuple[Era, ...], regnal: str | None, within: Dynasty | None) -> Era:
    """The era a repeated name means: the first (in preference order) of the dynasty named
    just before it, else of a dynasty within its years (宋 for 北宋 and 南宋), if any; of
    those, the first long enough for the regnal year (永和九年 is Eastern Jin's 353, as the
    Eastern Han's 永和 lasted six years)."""
    candidates = eras
    if within is not None:
        own = tuple(e for e in eras if e.dynasty.key == within.key)
        inside = tuple(e for e in eras if within.reign_from <= e.start and e.end <= within.end)
        candidates = own or inside or eras
    if regnal is not None:
        number = _cn_int(regnal)
        for era in candidates:
            if number <= _astro(era.end) - _astro(era.start) + 1:
                return era
    return candidates[0]


def _name_term(name: str, regnal: str | None, previous: _Term | None) -> _Term:
    """A dynasty or era name (with its regnal year), read in the dynasty just before it."""
    t = tables()
    eras = t.eras_by_name.get(name, ())
    dynasty = t.dynasty_by_name.get(name)
    if eras and (regnal is not None or dynasty is None):
        within = None
        if previous is not None and previous.kind == "name" and previous.dynasty is not None:
            within = previous.dynasty
        return _era_term(_pick_era(eras, regnal, within), regnal)
    assert dynasty is not None
    return _Term(
        "name",
        _astro(dynasty.start),
        _astro(dynasty.end),
        label=f"{dynasty.zh_hans} ({_fmt_zh(dynasty.start)}–{_fmt_zh(dynasty.end)})",
        dynasty=dynasty,
    )


def _era_term(era: Era, regnal: str | None) -> _Term:
    prefix = era.dynasty.zh_hans
    if era.dynasty.key in ("beisong", "nansong"):
        prefix = "宋"
    elif era.name in prefix:  # 民国二十年, not 中华民国民国二十年
        prefix = ""
    if regnal is None:
        label = f"{prefix}{era.name} ({_fmt_zh(era.start)}–{_fmt_zh(era.end)})"
        return _Term("name", _astro(era.start), _astro(era.end), label=label)
    number = _cn_int(regnal)
    length = _astro(era.end) - _astro(era.start) + 1
    if not 1 <= number <= length + 3:
        raise InvalidInput(
            f"{era.name}{regnal}年 is outside the {era.name} era "
            f"({_fmt(era.start)}–{_fmt(era.end)}, {length} years)",
            field="date",
        )
    year = _astro(era.start) + number - 1
    label = f"{prefix}{era.name}{_cn_numeral(number)}年 ({_fmt_zh(_hist(year))})"
    return _Term("name", year, year, label=label)


def _tokens(norm: str) -> list[_Term | str]:
    """Terms and markers ("sep", "brk") in text order, modifiers already applied."""
    items: list[_Term | str] = []
    pending: dict[str, Any] = {}
    last: _Term | None = None

    def add(term: _Term, pos: int) -> None:
        nonlocal last
        term.pos = pos
        if "bc" in pending:
            term.apply_bc(pending.pop("bc"))
        term.approx = pending.pop("approx", False)
        term.open = pending.pop("open", "")
        if "qual" in pending and term.kind in ("century", "decade", "name"):
            term.qual = pending.pop("qual")
        pending.pop("qual", None)
        items.append(term)
        last = term

    last_stop = 0
    for match in _scanner().finditer(norm):
        kind = match.lastgroup
        value = match.group()
        if kind == "brk":
            items.append("brk")
            pending.clear()
            last = None
        elif kind == "sep":
            if "qual" in pending:  # "mid- to late-19th century": the qualifier stands alone
                items.append(_Term("qual", 0, 0, qual=pending.pop("qual")))
            items.append("sep")
        elif kind == "num":
            number = int(value)
            if number > 0:
                add(_Term("year", number, number, raw=number, digits=len(value)), match.start())
        elif kind == "cyear":
            number = _cn_int(value)
            add(_Term("year", number, number, raw=number, digits=4), match.start())
        elif kind == "dec":
            decade = int(match.group(match.re.groupindex["dec"] + 1))
            add(_Term("decade", decade, decade + 9, raw=decade), match.start())
        elif kind in ("ord", "ccen"):
            number = _cn_int(match.group(match.re.groupindex[kind] + 1))
            if 0 < number <= 21 and (kind == "ccen" or "centur" in norm or "cent." in norm):
                add(_century(number), match.start())
        elif kind == "cdec":
            index = match.re.groupindex["cdec"]
            century = _cn_int(match.group(index + 1))
            decade = 100 * (century - 1) + 10 * _cn_int(match.group(index + 2))
            add(_Term("decade", decade, decade + 9, raw=decade), match.start())
        elif kind in ("bc", "ad"):
            is_bc = kind == "bc"
            if value.startswith(("公", "前")) or last is None or last.bc is not None:
                pending["bc"] = is_bc
            else:
                last.apply_bc(is_bc)
        elif kind == "approx":
            if value in ("左右", "前后", "?") and last is not None:
                last.approx = True
            else:
                pending["approx"] = True
        elif kind in ("bef", "aft"):
            pending["open"] = "before" if kind == "bef" else "after"
        elif kind in ("befp", "aftp", "befz"):
            if last is not None:
                last.open = "after" if kind == "aftp" else "before"
        elif kind == "qual":
            pending["qual"] = _QUAL_EN[value]
        elif kind == "cqual":  # 清末, 明代中期: the qualifier follows its term closely
            if (
                last is not None
                and last.kind in ("century", "decade", "name")
                and last.qual is None
                and match.start() - last_stop <= 2
            ):
                last.qual = _QUAL_ZH[value]
        elif kind == "zname" or kind == "ename":
            index = match.re.groupindex["zname"]
            regnal = match.group(index + 1) if kind == "zname" else None
            name = value
            if regnal is not None:
                name = re.sub(r"\s*(元|正|\d{1,2}|[" + _CN_NUM + r"]{1,4})\s*[年载]$", "", value)
            if (
                regnal is None
                and name not in tables().eras_by_name
                and norm[match.end() :][:1] == "年"
            ):
                continue  # 元年, 明年: a first or next year, not the dynasty
            adjacent = last if last is not None and last.pos + 8 >= match.start() else None
            term = _name_term(name, regnal, adjacent)
            if (
                adjacent is not None
                and adjacent.kind == "name"
                and adjacent.dynasty is not None
                and term.dynasty is None
                and items
                and items[-1] is adjacent
            ):
                items.pop()  # 清乾隆: the era replaces its dynasty
            add(term, match.start())
        if last is not None and last.pos == match.start():
            last_stop = match.end()  # where the latest term ends, for 清末 and 明代中期
    return items


# -- groups -----------------------------------------------------------------------------------


def _range(first: _Term, second: _Term) -> tuple[int, int, bool]:
    if second.bc and first.bc is None and first.kind == second.kind:
        first.apply_bc(True)
    if (
        first.kind == "year"
        and second.kind == "year"
        and second.bc is None
        and first.bc is None
        and second.digits < first.digits
    ):
        scale = 10**second.digits
        year = first.raw - first.raw % scale + second.raw
        if year < first.raw:
            year += scale
        second.start = second.end = year
    if first.kind == "qual" and first.qual is not None:
        base = _Term(second.kind, second.start, second.end, qual=first.qual)
        first = base
    start1, end1 = first.span()
    start2, end2 = second.span()
    approx = first.approx or second.approx
    return min(start1, start2), max(end1, end2), approx


def _groups(items: list[_Term | str]) -> list[tuple[int, int, str]]:
    """(start, end, label) of each group, in order; label is set for a lone named term."""
    groups: list[tuple[int, int, str]] = []
    i = 0
    while i < len(items):
        item = items[i]
        if isinstance(item, str):
            i += 1
            continue
        label = ""
        if item.kind == "year" and item.start > _MAX_YEAR:  # a number, not a year
            i += 1
            continue
        if i + 2 < len(items) and items[i + 1] == "sep" and isinstance(items[i + 2], _Term):
            second = items[i + 2]
            assert isinstance(second, _Term)
            start, end, approx = _range(item, second)
            widen = approx and {item.kind, second.kind} <= {"year", "decade", "qual"}
            i += 3
        elif item.kind == "qual":
            i += 1
            continue
        else:
            start, end = item.span()
            approx = item.approx
            widen = approx and item.kind in ("year", "decade")
            if item.label and item.qual is None and not item.open:
                label = item.label
            i += 1
        if widen:
            start, end = start - CIRCA, end + CIRCA
        groups.append((start, end, label))
    return groups


def _resolve(norm: str) -> tuple[int, int, str] | None:
    groups = _groups(_tokens(norm))
    if not groups:
        return None
    start, end, label = groups[0]
    for other_start, other_end, other_label in groups[1:]:
        overlaps = other_start <= end and start <= other_end
        if overlaps and other_end - other_start < end - start:
            start, end = max(start, other_start), min(end, other_end)
            label = other_label if (start, end) == (other_start, other_end) else ""
    return start, end, label


_PLAIN_YEAR = re.compile(r"\s*(\d{3,4})\s*")
_W3CDTF = re.compile(
    r"\s*(\d{4})-(?:0[1-9]|1[0-2])"  # YYYY-MM
    r"(?:-(?:0[1-9]|[12]\d|3[01])"  # -DD
    r"(?:[tT ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?"  # Thh:mm[:ss[.s]]
    r"(?:[zZ]|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)?)?)?\s*"  # zone
)


def _parse(text: str) -> DateSpan | None:
    plain = _PLAIN_YEAR.fullmatch(text) or _W3CDTF.fullmatch(text)
    if plain is not None and 0 < (year := int(plain.group(1))) <= _MAX_YEAR:
        return DateSpan(text, year, year, str(year))  # the commonest case, half of CMOA
    norm = _normalise(text)
    if not norm or _UNKNOWN.match(norm):
        return None
    result = None
    if "manufactured" in norm:
        for pattern in _MANUFACTURED:
            found = pattern.search(norm)
            if found and (result := _resolve(found.group(1).strip())) is not None:
                break
    if result is None:
        result = _resolve(norm)
    if result is None:
        return None
    start, end, label = result
    earliest, latest = _hist(start), _hist(end)
    if earliest > latest:
        return None
    return DateSpan(text, earliest, latest, label or _span_label(earliest, latest))


# -- public functions ---------------------------------------------------------------------------


def parse_date(text: str) -> DateSpan:
    """Read a date as written into a span of years.

    Raises ``InvalidInput`` naming the text when it is empty, longer than ``MAX_LENGTH``
    characters, says it is undated, or holds no date the parser understands.

    >>> parse_date("乾隆五十年")
    DateSpan(text='乾隆五十年', earliest=1785, latest=1785, label='清乾隆五十年 (1785)')
    >>> span = parse_date("c. 1850")  # circa widens by CIRCA years each side
    >>> span.earliest, span.latest
    (1845, 1855)
    >>> parse_date("公元前3世纪").label
    '300 BCE–201 BCE'
    >>> parse_date("someday")
    Traceback (most recent call last):
    ...
    wenyuan.core.errors.InvalidInput: cannot understand the date 'someday'
    """
    if not text or not text.strip():
        raise InvalidInput("empty date text: give a year, a period or a reign era", field="date")
    if len(text) > MAX_LENGTH:
        raise InvalidInput(
            f"date text longer than {MAX_LENGTH} characters: {text[:40]!r}…", field="date"
        )
    span = _parse(text)
    if span is None:
        raise InvalidInput(f"cannot understand the date {text!r}", field="date", text=text)
    return span


def try_parse_date(text: str | None) -> DateSpan | None:
    """Like ``parse_date`` but None for text that is missing or not understood.

    >>> try_parse_date("undated") is None, try_parse_date(None) is None
    (True, True)
    >>> try_parse_date("18th century").label
    '1701–1800'
    """
    if not text or len(text) > MAX_LENGTH:
        return None
    try:
        return _parse(text)
    except InvalidInput:
        return None


_NAME_SUFFIXES = re.compile(r"(?:\s*(?:dynasty|period|era|reign)|代|朝|时期|时代)$")


def dynasty_span(name: str) -> DateSpan | None:
    """A dynasty, subdivision or named period by any of its names, or None if unknown.

    >>> dynasty_span("唐朝")
    DateSpan(text='唐朝', earliest=618, latest=907, label='唐 (618–907)')
    >>> dynasty_span("Tang dynasty").label
    '唐 (618–907)'
    >>> dynasty_span("Atlantis") is None
    True
    """
    key = fold(unicodedata.normalize("NFKC", name).strip())
    t = tables()
    dynasty = t.dynasty_by_name.get(key) or t.dynasty_by_name.get(_NAME_SUFFIXES.sub("", key))
    if dynasty is None:
        return None
    label = f"{dynasty.zh_hans} ({_fmt_zh(dynasty.start)}–{_fmt_zh(dynasty.end)})"
    return DateSpan(name, dynasty.start, dynasty.end, label)


def dynasty_of_year(year: int) -> str | None:
    """The simplified Chinese name of the main dynasty in ``year`` (historical), for facets.

    >>> dynasty_of_year(760), dynasty_of_year(1785), dynasty_of_year(-100)
    ('唐', '清', '西汉')
    >>> dynasty_of_year(0) is None  # there is no year 0
    True
    """
    if year == 0:
        return None
    for dynasty in tables().facets:
        if dynasty.start <= year <= dynasty.end:
            return dynasty.zh_hans
    return None
