"""How a record is seen by the search index: the mapping from ``Record`` to ``IndexDocument``.

It lives in the application layer because it joins two domains that never import each other.
"""

from __future__ import annotations

from wenyuan.core.text import has_cjk
from wenyuan.resources import Record
from wenyuan.search import IndexDocument

__all__ = ["to_index_document"]


def to_index_document(record: Record) -> IndexDocument:
    labels = record.labels
    titles = list(dict.fromkeys(v for k, v in labels.items() if k != "pinyin" and v))
    creators: list[str] = []
    for creator in record.creators:
        creators.append(creator.name_zh_hans or creator.name)
        if creator.name_zh_hans and creator.name != creator.name_zh_hans:
            creators.append(creator.name)
    body_parts = [record.search_text or "\n".join(record.body)]
    english_parts = [labels.get("en", "")]
    for subject in record.subjects:
        (body_parts if has_cjk(subject) else english_parts).append(subject)
    for lang, text in record.description.items():
        (english_parts if lang == "en" else body_parts).append(text)
    english_parts.extend(c.name for c in record.creators if not has_cjk(c.name))
    readings = [labels["pinyin"]] if labels.get("pinyin") else []
    readings.extend(c.pinyin for c in record.creators if c.pinyin)
    span = record.time
    return IndexDocument(
        id=record.id,
        type=record.type,
        source=record.source,
        titles=titles,
        creators=list(dict.fromkeys(creators)),
        body="\n".join(p for p in body_parts if p),
        english="\n".join(p for p in english_parts if p),
        dynasty=record.dynasty,
        earliest=span.earliest if span else None,
        latest=span.latest if span else None,
        popular=bool(record.tags),
        subjects=record.subjects,
        pinyin=readings,
        title_pinyin=labels.get("pinyin", ""),
    )
