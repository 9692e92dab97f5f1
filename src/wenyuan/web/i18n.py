"""The web UI's words in Chinese and English. Chinese is the default.

Also the English names of Chinese dynasties and periods (``dynasty_name``), so the English
pages can say "Northern Song" where the data says 北宋.
"""

from __future__ import annotations

__all__ = ["LANGS", "dynasty_name", "translate"]

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
    "year_hint": {"zh": "公元前用负数，如 -221", "en": "BCE as negative, e.g. -221"},
    "browse": {"zh": "浏览馆藏", "en": "Browse the collection"},
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
    "error_400": {"zh": "请求有误。", "en": "The request was not understood."},
    "error_404": {"zh": "找不到这条记录或这个页面。", "en": "No such record or page."},
    "error_422": {"zh": "检索条件有误。", "en": "The search terms are not valid."},
    "error_500": {"zh": "服务器出错了，请稍后再试。", "en": "Server error; try again later."},
    "error_503": {"zh": "服务暂时不可用，请稍后再试。", "en": "Unavailable; try again later."},
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
    "role_author": {"zh": "作者", "en": "Author"},
    "role_artist": {"zh": "作者", "en": "Artist"},
    "role_creator": {"zh": "作者", "en": "Creator"},
    "role_copyist": {"zh": "摹写", "en": "Copyist"},
    "source_sample": {"zh": "示例馆藏", "en": "Sample collection"},
    "source_chinese-poetry": {"zh": "中华古诗词数据库", "en": "chinese-poetry"},
    "source_tate": {"zh": "泰特美术馆", "en": "Tate"},
    "source_cmoa": {"zh": "卡内基艺术博物馆", "en": "Carnegie Museum of Art"},
    "source_dc-xml": {"zh": "都柏林核心 XML", "en": "Dublin Core XML"},
    "field_form": {"zh": "体裁", "en": "Form"},
    "field_cipai": {"zh": "词牌", "en": "Ci tune"},
    "field_qupai": {"zh": "曲牌", "en": "Qu tune"},
    "field_gongdiao": {"zh": "宫调", "en": "Mode (gongdiao)"},
    "field_institution": {"zh": "收藏机构", "en": "Institution"},
    "field_collection": {"zh": "藏品类别", "en": "Collection"},
    "field_material": {"zh": "材质", "en": "Material"},
    "field_dimensions": {"zh": "尺寸", "en": "Dimensions"},
    "field_excavated": {"zh": "出土", "en": "Excavated"},
    "field_location": {"zh": "所在地", "en": "Location"},
    "field_coordinates": {"zh": "坐标", "en": "Coordinates"},
    "field_unesco_year": {"zh": "列入世界遗产", "en": "World Heritage since"},
    "field_unesco_name": {"zh": "世界遗产名称", "en": "UNESCO listing"},
    "field_courtesy_name": {"zh": "字", "en": "Courtesy name"},
    "field_given_name": {"zh": "名", "en": "Given name"},
    "field_art_names": {"zh": "号", "en": "Art names"},
    "field_other_names": {"zh": "别称", "en": "Other names"},
    "field_excerpt": {"zh": "节选", "en": "Excerpt"},
    "field_extension": {"zh": "附录", "en": "Extension"},
    "field_work": {"zh": "出处", "en": "Work"},
    "field_preface": {"zh": "序", "en": "Preface"},
    "field_copyist": {"zh": "摹写者", "en": "Copyist"},
    "yes": {"zh": "是", "en": "Yes"},
    "no": {"zh": "否", "en": "No"},
    "map": {"zh": "地图", "en": "map"},
}

_DYNASTIES = {
    "旧石器时代": "Palaeolithic",
    "新石器时代": "Neolithic",
    "夏": "Xia",
    "商": "Shang",
    "周": "Zhou",
    "西周": "Western Zhou",
    "东周": "Eastern Zhou",
    "春秋": "Spring and Autumn",
    "战国": "Warring States",
    "先秦": "Pre-Qin",
    "秦": "Qin",
    "汉": "Han",
    "西汉": "Western Han",
    "东汉": "Eastern Han",
    "三国": "Three Kingdoms",
    "晋": "Jin",
    "西晋": "Western Jin",
    "东晋": "Eastern Jin",
    "十六国": "Sixteen Kingdoms",
    "南北朝": "Northern and Southern Dynasties",
    "南朝": "Southern Dynasties",
    "北朝": "Northern Dynasties",
    "北魏": "Northern Wei",
    "隋": "Sui",
    "唐": "Tang",
    "五代": "Five Dynasties",
    "五代十国": "Five Dynasties and Ten Kingdoms",
    "宋": "Song",
    "北宋": "Northern Song",
    "南宋": "Southern Song",
    "辽": "Liao",
    "金": "Jin",
    "元": "Yuan",
    "明": "Ming",
    "清": "Qing",
    "民国": "Republic of China",
    "近现代": "Modern",
    "今": "the present",
    "历代": "Successive dynasties",
}
_LONGEST = max(len(name) for name in _DYNASTIES)


def dynasty_name(value: str, lang: str) -> str:
    """``value`` (a dynasty or period as the data writes it) named for ``lang``.

    Chinese is returned as written. In English, names we know are translated, including
    runs like 明清 ("Ming–Qing") and ranges like 唐至今 ("Tang to the present"); anything
    else is returned as written rather than half-translated.
    """
    if lang != "en" or not value:
        return value
    parts = []
    for part in value.split("至"):
        names = _split_names(part)
        if names is None:
            return value
        parts.append("–".join(names))
    return " to ".join(parts)


def _split_names(text: str) -> list[str] | None:
    names = []
    while text:
        for size in range(min(_LONGEST, len(text)), 0, -1):
            if text[:size] in _DYNASTIES:
                names.append(_DYNASTIES[text[:size]])
                text = text[size:]
                break
        else:
            return None
    return names or None


def translate(key: str, lang: str, **values: object) -> str:
    """The text for ``key`` in ``lang``; the key itself when we have no text for it."""
    entry = _TEXT.get(key)
    text = entry.get(lang, entry["en"]) if entry else key
    return text.format(**values) if values else text
