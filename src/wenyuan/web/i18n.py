"""The web UI's words in Chinese and English. Chinese is the default."""

from __future__ import annotations

__all__ = ["LANGS", "translate"]

LANGS = ("zh", "en")

_TEXT: dict[str, dict[str, str]] = {
    "site": {"zh": "文渊", "en": "Wenyuan"},
    "tagline": {"zh": "文化资源检索", "en": "Cultural resources search"},
    "search": {"zh": "检索", "en": "Search"},
    "placeholder": {
        "zh": "诗句、标题、作者、拼音或英文",
        "en": "A line, title, author, pinyin or English",
    },
    "results": {"zh": "共 {n} 条结果", "en": "{n} results"},
    "no_results": {"zh": "没有找到结果。", "en": "No results."},
    "type": {"zh": "类型", "en": "Type"},
    "dynasty": {"zh": "朝代", "en": "Dynasty"},
    "creator": {"zh": "作者", "en": "Creator"},
    "source": {"zh": "来源", "en": "Source"},
    "years": {"zh": "年代", "en": "Years"},
    "from": {"zh": "起", "en": "from"},
    "to": {"zh": "止", "en": "to"},
    "apply": {"zh": "筛选", "en": "Apply"},
    "clear": {"zh": "清除筛选", "en": "Clear filters"},
    "labels": {"zh": "题名", "en": "Titles"},
    "text": {"zh": "正文", "en": "Text"},
    "time": {"zh": "时间", "en": "Date"},
    "subjects": {"zh": "主题", "en": "Subjects"},
    "description": {"zh": "描述", "en": "Description"},
    "provenance": {"zh": "来源与出处", "en": "Source and provenance"},
    "tags": {"zh": "标签", "en": "Tags"},
    "flags": {"zh": "出版方标注", "en": "Publisher flags"},
    "notes": {"zh": "注释", "en": "Notes"},
    "details": {"zh": "其他信息", "en": "Details"},
    "rights": {"zh": "权利", "en": "Rights"},
    "link": {"zh": "原始链接", "en": "Original link"},
    "prev": {"zh": "上一页", "en": "Previous"},
    "next": {"zh": "下一页", "en": "Next"},
    "other_lang": {"zh": "English", "en": "中文"},
    "back": {"zh": "返回检索", "en": "Back to search"},
    "error": {"zh": "出错了", "en": "Something went wrong"},
    "records": {"zh": "馆藏 {n} 条", "en": "{n} records"},
    "api": {"zh": "API 文档", "en": "API docs"},
    "lang_zh-Hans": {"zh": "简体", "en": "Simplified"},
    "lang_zh-Hant": {"zh": "繁體", "en": "Traditional"},
    "lang_en": {"zh": "英文", "en": "English"},
    "lang_pinyin": {"zh": "拼音", "en": "Pinyin"},
    "type_poem": {"zh": "诗", "en": "Poem"},
    "type_ci": {"zh": "词", "en": "Ci lyric"},
    "type_qu": {"zh": "曲", "en": "Qu song"},
    "type_artwork": {"zh": "艺术品", "en": "Artwork"},
    "type_object": {"zh": "器物", "en": "Object"},
    "type_person": {"zh": "人物", "en": "Person"},
    "type_site": {"zh": "遗址与古迹", "en": "Heritage site"},
    "type_place": {"zh": "地点", "en": "Place"},
    "type_text": {"zh": "文献", "en": "Text"},
    "type_event": {"zh": "事件", "en": "Event"},
}


def translate(key: str, lang: str, **values: object) -> str:
    """The text for ``key`` in ``lang``; the key itself when we have no text for it."""
    entry = _TEXT.get(key)
    text = entry.get(lang, entry["en"]) if entry else key
    return text.format(**values) if values else text
