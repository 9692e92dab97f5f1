"""Chinese-first text handling: script conversion, variant folding, pinyin and tokens.

Conversion between traditional and simplified characters is OpenCC's (``t2s`` / ``s2t``);
pinyin is pypinyin's. What is ours is the folding order (NFKC, OpenCC, a small table of
variants OpenCC keeps apart, lower case) and the index tokens: classical poetry is written
without word boundaries that modern segmenters learnt, so the index uses character
unigrams and bigrams inside runs of CJK text (see docs/adr/0002-cjk-ngrams.md for the
measurement), and lower-cased words for other scripts.

Hazard: the OpenCC converters are process-wide and created on first use.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc
from pypinyin import Style, lazy_pinyin

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
    "tokens",
]

# Variants that OpenCC's t2s leaves as they are but readers type as one character. Each pair
# is (variant, the form readers type); sources: the Table of General Standard Chinese
# Characters (通用规范汉字表, 2013) appendix of traditional and variant forms.
_VARIANTS = str.maketrans(
    {
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
)

_T2S = opencc.OpenCC("t2s")
_S2T = opencc.OpenCC("s2t")


def to_simplified(text: str) -> str:
    """Traditional to simplified characters (OpenCC ``t2s``)."""
    return str(_T2S.convert(text)) if text else text


def to_traditional(text: str) -> str:
    """Simplified to traditional characters (OpenCC ``s2t``)."""
    return str(_S2T.convert(text)) if text else text


def fold(text: str) -> str:
    """The form we index and query by: NFKC, simplified, variants folded, lower case."""
    if not text:
        return text
    return to_simplified(unicodedata.normalize("NFKC", text)).translate(_VARIANTS).lower()


def is_cjk(char: str) -> bool:
    """True for a CJK unified ideograph (any extension) or a compatibility ideograph."""
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
    return any(is_cjk(c) for c in text)


_RUN = re.compile(
    r"[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U000323af\U0002f800-\U0002fa1f]+"
    r"|[^\W_]+",
)


def split_runs(folded: str) -> list[str]:
    """Runs of CJK characters and words of other scripts, in order; punctuation dropped."""
    return _RUN.findall(folded)


def cjk_bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def tokens(folded: str) -> tuple[list[str], list[str]]:
    """Index tokens of already folded text: (unigrams and words, CJK bigrams).

    Unigrams keep their order so phrase queries work on them; bigrams never cross a
    punctuation mark or a change of script.
    """
    unigrams: list[str] = []
    bigrams: list[str] = []
    for run in split_runs(folded):
        if is_cjk(run[0]):
            unigrams.extend(run)
            bigrams.extend(cjk_bigrams(run))
        else:
            unigrams.append(run)
    return unigrams, bigrams


@lru_cache(maxsize=65536)
def pinyin(text: str) -> str:
    """Toneless pinyin of the CJK characters in ``text``, syllables separated by spaces.

    >>> pinyin("李白")
    'li bai'
    """
    syllables = lazy_pinyin(
        [c for c in to_simplified(text) if is_cjk(c)], style=Style.NORMAL, errors="ignore"
    )
    return " ".join(s for s in syllables if s.isascii() and s.isalpha()).lower()


def pinyin_compact(text: str) -> str:
    """Pinyin without spaces, as people type a name into a search box: ``libai``."""
    return pinyin(text).replace(" ", "")
