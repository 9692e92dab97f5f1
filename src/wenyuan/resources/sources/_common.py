"""Small pieces every source adapter needs: Chinese labels from a title, reasons for bad JSON."""

from __future__ import annotations

import msgspec

from wenyuan.core.text import has_cjk, pinyin, to_simplified, to_traditional

__all__ = ["chinese_labels", "is_chinese", "json_reason"]


def is_chinese(text: str) -> bool:
    """True when ``text`` holds Chinese characters (checked cheaply for ASCII first)."""
    return not text.isascii() and has_cjk(text)


def chinese_labels(text: str) -> dict[str, str]:
    """The ``zh-Hans``, ``zh-Hant`` and ``pinyin`` labels of a Chinese title."""
    simplified = to_simplified(text)
    return {
        "zh-Hans": simplified,
        "zh-Hant": to_traditional(text),
        "pinyin": pinyin(simplified, simplified=True),
    }


def json_reason(exc: Exception) -> str:
    """Why a JSON file could not be read, in words for the rejection report."""
    if isinstance(exc, UnicodeDecodeError):
        return f"invalid UTF-8 at byte {exc.start}: {exc.reason}"
    if isinstance(exc, msgspec.ValidationError):
        return f"wrong shape: {exc}"
    return f"invalid JSON: {exc}"
