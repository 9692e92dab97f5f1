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
    "more": {"zh": "更多", "en": "more"},
    "fewer": {"zh": "收起", "en": "fewer"},
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
    # -- the trust ledger's pages --
    "ledger": {"zh": "可信登记簿", "en": "Trust ledger"},
    "ledger_intro": {
        "zh": "作品的登记、转让与授权都写入一份只增不改的透明日志，任何人都可以独立核验。",
        "en": "Registrations, transfers and licences are written to an append-only "
        "transparency log that anyone can check independently.",
    },
    "ledger_origin": {"zh": "日志名称", "en": "Log origin"},
    "ledger_vkey": {"zh": "日志验证公钥", "en": "Log verifier key"},
    "ledger_vkey_hint": {
        "zh": "核验回执时使用此公钥；请与从其他渠道获得的公钥比对。",
        "en": "Receipts are checked against this key; compare it with one you got elsewhere.",
    },
    "ledger_size": {"zh": "日志条目", "en": "Log entries"},
    "ledger_assets": {"zh": "登记作品", "en": "Registered assets"},
    "ledger_checkpoint": {"zh": "最新可信检查点", "en": "Newest trusted checkpoint"},
    "ledger_no_checkpoint": {
        "zh": "日志尚未发布检查点。",
        "en": "The log has not published a checkpoint yet.",
    },
    "ledger_tree_size": {"zh": "树大小", "en": "Tree size"},
    "ledger_root": {"zh": "根哈希", "en": "Root hash"},
    "ledger_signed_at": {"zh": "签署时间", "en": "Signed at"},
    "ledger_note": {"zh": "签名检查点", "en": "Signed checkpoint"},
    "ledger_witnesses": {"zh": "见证者", "en": "Witnesses"},
    "ledger_no_witnesses": {"zh": "无", "en": "None"},
    "ledger_quorum": {"zh": "法定见证数", "en": "Quorum"},
    "ledger_growth": {"zh": "近期检查点的日志大小", "en": "Log size at recent checkpoints"},
    "ledger_growth_empty": {"zh": "暂无检查点。", "en": "No checkpoints yet."},
    "ledger_no_assets": {"zh": "尚无登记的作品。", "en": "No assets are registered yet."},
    "ledger_first_page": {"zh": "第一页", "en": "First page"},
    "ledger_back": {"zh": "返回登记簿", "en": "Back to the ledger"},
    "ledger_entry": {"zh": "第 {n} 条", "en": "entry {n}"},
    "asset_title": {"zh": "题名", "en": "Title"},
    "asset_id": {"zh": "作品编号", "en": "Asset id"},
    "asset_creators": {"zh": "作者", "en": "Creators"},
    "asset_media_type": {"zh": "媒体类型", "en": "Media type"},
    "asset_sha256": {"zh": "内容 SHA-256", "en": "Content SHA-256"},
    "asset_owner": {"zh": "所有者（签发公钥）", "en": "Owner (issuer key)"},
    "asset_registered": {"zh": "登记于", "en": "Registered"},
    "asset_description": {"zh": "描述", "en": "Description"},
    "asset_licences": {"zh": "授权许可", "en": "Licences"},
    "asset_no_licences": {"zh": "无", "en": "None"},
    "licence_terms": {"zh": "条款", "en": "Terms"},
    "licence_licensee": {"zh": "被许可方", "en": "Licensee"},
    "licence_granted": {"zh": "授予", "en": "Granted"},
    "licence_revoked": {"zh": "撤销", "en": "Revoked"},
    "licence_expires": {"zh": "到期", "en": "Expires"},
    "licence_active": {"zh": "有效", "en": "in force"},
    "asset_history": {"zh": "记录", "en": "History"},
    "history_index": {"zh": "条目", "en": "Entry"},
    "history_kind": {"zh": "类型", "en": "Kind"},
    "history_issued_at": {"zh": "签发时间", "en": "Issued at"},
    "history_issuer": {"zh": "签发者", "en": "Issuer"},
    "history_receipt": {"zh": "回执", "en": "Receipt"},
    "history_log": {"zh": "日志", "en": "Log"},
    "ledger_chain": {
        "zh": "日志链（按时间先后，每个日志有自己的验证公钥）",
        "en": "The chain of logs, oldest first, each with its own verifier key",
    },
    "kind_register": {"zh": "登记", "en": "Registration"},
    "kind_transfer": {"zh": "转让", "en": "Transfer"},
    "kind_grant-licence": {"zh": "授予许可", "en": "Licence granted"},
    "kind_revoke": {"zh": "撤销许可", "en": "Licence revoked"},
    "kind_log-handover": {"zh": "日志交接", "en": "Log handover"},
    "verify_nojs": {
        "zh": "在浏览器中核验需要 JavaScript；也可以下载回执 JSON，用 wenyuan verify 离线核验。",
        "en": "Checking in the browser needs JavaScript; or download the receipt JSON and "
        "check it offline with wenyuan verify.",
    },
    "verify_button": {"zh": "核验", "en": "Verify"},
    "verify_running": {"zh": "正在核验…", "en": "Checking…"},
    "verify_ok": {
        "zh": "回执核验通过：此声明包含在日志签署的树中。",
        "en": "The receipt verifies: this statement is in the tree the log signed.",
    },
    "verify_failed": {
        "zh": "回执未通过核验，请勿信赖此声明。",
        "en": "The receipt does not verify: do not rely on this statement.",
    },
    "verify_step_1": {"zh": "读取回执", "en": "Read the receipt"},
    "verify_step_2": {
        "zh": "核对日志对检查点的签名",
        "en": "Check the log's signature on the checkpoint",
    },
    "verify_step_3": {"zh": "读取检查点", "en": "Read the checkpoint"},
    "verify_step_4": {"zh": "见证者联署", "en": "Witness cosignatures"},
    "verify_step_5": {
        "zh": "解码条目并核对签发者的签名",
        "en": "Decode the entry and check the issuer's signature",
    },
    "verify_step_6": {
        "zh": "比对可读声明与条目",
        "en": "Compare the readable statement with the entry",
    },
    "verify_step_7": {
        "zh": "核对包含证明与检查点的根哈希",
        "en": "Check the inclusion proof against the checkpoint's root",
    },
    "verify_no_quorum": {"zh": "本日志不要求见证者联署", "en": "this log needs no witnesses"},
    "verify_witnesses_ok": {
        "zh": "页面所列见证者中有 {count} 个联署（需要 {quorum} 个）：{names}",
        "en": "cosigned by {count} of the page's witnesses (quorum {quorum}): {names}",
    },
    "verify_r_fetch": {
        "zh": "无法获取回执（{detail}）",
        "en": "could not fetch the receipt ({detail})",
    },
    "verify_r_json": {"zh": "回执不是 JSON 对象", "en": "the receipt is not a JSON object"},
    "verify_r_field": {
        "zh": "字段 {name} 缺失或类型不对",
        "en": "the field {name} is missing or of the wrong type",
    },
    "verify_r_format": {"zh": "未知的回执格式 {detail}", "en": "unknown receipt format {detail}"},
    "verify_r_index": {
        "zh": "回执是第 {detail} 条的，不是第 {index} 条",
        "en": "the receipt is for entry {detail}, not {index}",
    },
    "verify_r_base64": {"zh": "{name} 不是有效的 base64", "en": "{name} is not valid base64"},
    "verify_r_vkey": {
        "zh": "页面上的验证公钥格式有误：{detail}",
        "en": "the page's verifier key is malformed: {detail}",
    },
    "verify_r_note": {
        "zh": "检查点不是签名笔记：{detail}",
        "en": "the checkpoint is not a signed note: {detail}",
    },
    "verify_r_unsigned": {
        "zh": "检查点没有 {name} 的签名",
        "en": "the checkpoint carries no signature by {name}",
    },
    "verify_r_bad_sig": {
        "zh": "日志签名与检查点内容不符",
        "en": "the log's signature does not match the checkpoint",
    },
    "verify_r_no_log_key": {
        "zh": "页面上没有日志 {log} 的验证公钥",
        "en": "the page has no verifier key for the log {log}",
    },
    "verify_r_witness_key": {
        "zh": "页面上的见证者公钥格式有误：{detail}",
        "en": "a witness key on the page is malformed: {detail}",
    },
    "verify_r_ambiguous_key": {
        "zh": "页面上有两个公钥同名同 ID：{name}",
        "en": "two keys on the page share the name and key id {name}",
    },
    "verify_r_bad_cosig": {
        "zh": "见证者 {name} 的联署与检查点内容不符",
        "en": "the cosignature of witness {name} does not match the checkpoint",
    },
    "verify_r_witness_keys": {
        "zh": "法定人数 {quorum} 需要 {quorum} 个见证者公钥，但页面只列出 {count} 个",
        "en": "a quorum of {quorum} needs {quorum} witness keys; the page lists {count}",
    },
    "verify_r_quorum": {
        "zh": "只有 {count} 个受信任的见证者联署，需要 {quorum} 个",
        "en": "{count} of the trusted witnesses cosigned; the quorum is {quorum}",
    },
    "verify_r_checkpoint": {
        "zh": "检查点内容格式有误：{detail}",
        "en": "the checkpoint body is malformed: {detail}",
    },
    "verify_r_size": {
        "zh": "检查点的大小是 {detail}，回执写的是 {size}",
        "en": "the checkpoint's size is {detail}, the receipt says {size}",
    },
    "verify_r_origin": {
        "zh": "检查点来自 {detail}，不是 {origin}",
        "en": "the checkpoint is from {detail}, not {origin}",
    },
    "verify_r_leaf": {
        "zh": "条目不是有效的声明：{detail}",
        "en": "the entry is not a valid statement: {detail}",
    },
    "verify_r_issuer": {
        "zh": "条目的公钥不是声明的签发者",
        "en": "the entry's key is not the statement's issuer",
    },
    "verify_r_canonical": {
        "zh": "条目不是规范（RFC 8785）编码",
        "en": "the entry is not in canonical (RFC 8785) form",
    },
    "verify_r_policy": {
        "zh": "{name} 不符合 Ed25519 规则：{detail}（此类签名可被伪造）",
        "en": "{name} breaks the Ed25519 policy: {detail} (such signatures can be forged)",
    },
    "verify_r_statement_sig": {
        "zh": "签发者的签名与声明不符",
        "en": "the issuer's signature does not match the statement",
    },
    "verify_r_readable": {
        "zh": "可读的 {name} 与条目中的不同",
        "en": "the readable {name} differs from the one in the entry",
    },
    "verify_r_proof_shape": {
        "zh": "包含证明的形状不对：{detail}",
        "en": "the inclusion proof is malformed: {detail}",
    },
    "verify_r_root": {
        "zh": "包含证明得出的根哈希与检查点不同",
        "en": "the inclusion proof leads to a root other than the checkpoint's",
    },
    "verify_r_error": {"zh": "意外错误：{detail}", "en": "unexpected error: {detail}"},
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
