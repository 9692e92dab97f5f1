"""Chinese-first text handling: script conversion, folding, runs of CJK text, pinyin.

Conversion between traditional and simplified characters is OpenCC's (``t2s`` / ``s2t``);
pinyin readings come from pypinyin's dictionaries. What is ours is the folding (one
translation table for compatibility forms and the variants OpenCC keeps apart, then OpenCC,
then lower case) and the split into runs of CJK text, which the search index cuts into
character unigrams and bigrams (``wenyuan.search``; docs/adr/0002-cjk-ngrams.md has the
measurement behind n-grams).

Hazard: the OpenCC converters are process-wide and created on first use.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

__all__ = [
    "cjk_bigrams",
    "fold",
    "has_cjk",
    "is_cjk",
    "pinyin",
    "pinyin_compact",
    "split_runs",
    "to_simplified",
    "to_traditional",
]

# Variants that OpenCC's t2s leaves as they are but readers type as one character. Each pair
# is (variant, the form readers type); sources: the Table of General Standard Chinese
# Characters (通用规范汉字表, 2013) appendix of traditional and variant forms.
_VARIANT_PAIRS = {
    "牀": "床",
    "甯": "宁",
    "爲": "为",
    "僞": "伪",
    "峯": "峰",
    "羣": "群",
    "裏": "里",
    "綫": "线",
    "衆": "众",
    "鷄": "鸡",
    "囘": "回",
    "迴": "回",
    "啓": "启",
    "敎": "教",
    "眞": "真",
    "靑": "青",
    "淸": "清",
    "値": "值",
    "戶": "户",
    "吿": "告",
    "㸃": "点",
    "緖": "绪",
    "卽": "即",
    "旣": "既",
    "槪": "概",
    "歷": "历",
    "曆": "历",
    "於": "于",
    "兎": "兔",
    "菓": "果",
    "蹤": "踪",
    "凢": "凡",
    "亾": "亡",
    "爾": "尔",
    "異": "异",
    "並": "并",
    "竝": "并",
    "幷": "并",
}


def _fold_table() -> dict[int, str]:
    """One translation table for the folding that NFKC and OpenCC leave to us.

    It applies NFKC's compatibility mappings for the blocks that occur in cultural data
    (full-width forms, the ideographic space, CJK compatibility ideographs) and the variant
    pairs above. A table lookup per character is several times cheaper than NFKC over a
    whole poem, which matters at 400,000 records.
    """
    table: dict[int, str] = {}
    # Full-width punctuation is left alone: tokenizing drops punctuation anyway.
    ranges = (
        (0xFF10, 0xFF19),
        (0xFF21, 0xFF3A),
        (0xFF41, 0xFF5A),
        (0xF900, 0xFAFF),
        (0x2F800, 0x2FA1F),
    )
    for first, last in ranges:
        for code in range(first, last + 1):
            normal = unicodedata.normalize("NFKC", chr(code))
            if normal != chr(code):
                table[code] = normal
    table.update({ord(k): v for k, v in _VARIANT_PAIRS.items()})
    return table


_FOLD = _fold_table()
_NEEDS_FOLD = re.compile(
    "[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uf900-\ufaff\U0002f800-\U0002fa1f"
    + "".join(_VARIANT_PAIRS)
    + "]"
)
_T2S = opencc.OpenCC("t2s")
_S2T = opencc.OpenCC("s2t")


def to_simplified(text: str) -> str:
    """Traditional to simplified characters (OpenCC ``t2s``).

    >>> to_simplified("靜夜思")
    '静夜思'
    """
    return str(_T2S.convert(text)) if text else text


def to_traditional(text: str) -> str:
    """Simplified to traditional characters (OpenCC ``s2t``).

    >>> to_traditional("静夜思")
    '靜夜思'
    """
    return str(_S2T.convert(text)) if text else text


def fold(text: str) -> str:
    """The form we index and query by: compatibility forms and variants folded (see
    ``_fold_table``), simplified characters, lower case.

    >>> fold("牀前明月光")  # the variant 牀 is 床
    '床前明月光'
    >>> fold("ＬＩ Bai 靜夜思")  # full-width letters, traditional characters
    'li bai 静夜思'
    """
    if not text:
        return text
    if _NEEDS_FOLD.search(text):
        text = text.translate(_FOLD)
    return to_simplified(text).lower()


def is_cjk(char: str) -> bool:
    """True for a CJK unified ideograph (any extension) or a compatibility ideograph.

    >>> is_cjk("月"), is_cjk("〇"), is_cjk("A"), is_cjk("，")
    (True, True, False, False)
    """
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x323AF
        or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
        or code == 0x3007
    )


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds any CJK character.

    >>> has_cjk("Li Bai 李白"), has_cjk("Li Bai")
    (True, False)
    """
    return _CJK_RUN.search(text) is not None


_CJK_RUN = re.compile(
    r"[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U000323af\U0002f800-\U0002fa1f]+"
)
_RUN = re.compile(
    r"[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U000323af\U0002f800-\U0002fa1f]+"
    r"|[^\W_]+",
)


def split_runs(folded: str) -> list[str]:
    """Runs of CJK characters and words of other scripts, in order; punctuation dropped.

    >>> split_runs("床前明月光，疑是地上霜。li bai")
    ['床前明月光', '疑是地上霜', 'li', 'bai']
    """
    return _RUN.findall(folded)


def cjk_bigrams(run: str) -> list[str]:
    """Each pair of neighbouring characters of a CJK run.

    >>> cjk_bigrams("明月光")
    ['明月', '月光']
    """
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _toneless(syllable: str) -> str:
    """``lǜ`` → ``lv``, ``zhōng`` → ``zhong``: pypinyin's NORMAL style."""
    decomposed = unicodedata.normalize("NFD", syllable).replace("u\u0308", "v")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _pinyin_tables() -> tuple[dict[str, str], dict[str, tuple[str, ...]], dict[str, int]]:
    # pypinyin's own dictionaries: a character's readings, most common first, and the
    # readings of phrases whose characters are read differently together (长安 cháng ān).
    from pypinyin.constants import PHRASES_DICT, PINYIN_DICT

    chars = {chr(code): _toneless(readings.split(",")[0]) for code, readings in PINYIN_DICT.items()}
    phrases = {
        phrase: tuple(_toneless(r[0]) for r in readings)
        for phrase, readings in PHRASES_DICT.items()
        if 1 < len(phrase) <= 6
    }
    # The longest phrase starting with each character: most characters start none, and the
    # matcher then makes no phrase lookup at all for them.
    starts: dict[str, int] = {}
    for phrase in phrases:
        starts[phrase[0]] = max(starts.get(phrase[0], 0), len(phrase))
    return chars, phrases, starts


def pinyin(text: str, *, simplified: bool = False) -> str:
    """Toneless pinyin of the CJK characters in ``text``, syllables separated by spaces.

    Readings come from pypinyin's dictionaries, segmented by forward maximum matching on its
    phrase table as pypinyin itself does, so 长安 reads ``chang an``. We walk the tables
    directly because a call into pypinyin costs about 200 µs, which at 400,000 titles and
    names would dominate an ingest; ``tests/core/test_text.py`` checks that both agree.

    ``simplified=True`` says the text is already in simplified characters.

    >>> pinyin("李白")
    'li bai'
    >>> pinyin("長安")  # a phrase read together; traditional characters too
    'chang an'
    >>> pinyin("李白 (Li Bai)")  # other scripts are left out
    'li bai'
    """
    return _pinyin(text if simplified else to_simplified(text))


@lru_cache(maxsize=1 << 16)
def _pinyin(text: str) -> str:
    """``pinyin`` of simplified text, cached: names and common titles repeat across a
    collection (15,000 poets write 387,000 poems), and this is on every ingest's path."""
    chars, phrases, starts = _pinyin_tables()
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        i, end = 0, len(run)
        while i < end:
            char = run[i]
            for size in range(min(starts.get(char, 0), end - i), 1, -1):
                reading = phrases.get(run[i : i + size])
                if reading:
                    out.extend(reading)
                    i += size
                    break
            else:
                syllable = chars.get(char)
                if syllable:
                    out.append(syllable)
                i += 1
    return " ".join(out)


def pinyin_compact(text: str) -> str:
    """Pinyin without spaces, as people type a name into a search box.

    >>> pinyin_compact("李白")
    'libai'
    """
    return pinyin(text).replace(" ", "")
