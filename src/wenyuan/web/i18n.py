"""The web UI's words in Chinese and English: gettext catalogs, and dynasty names.

The words live in Babel-managed gettext catalogs under ``locale/`` (``docs/translating.md``
says how to update, compile and add a language). A message's id is its English text, so
English pages need no catalog; Chinese, the default, reads ``locale/zh/LC_MESSAGES/
messages.mo``, compiled from ``messages.po`` by ``make catalogs`` (the install step runs it;
a built wheel carries the compiled catalogs).

Templates mark their words with ``_()`` and ``ngettext()`` (Jinja2's i18n extension, which
``install`` makes answer in the language of the page being rendered); Python code looks up
a message chosen at run time, such as a record type's name or a text verify.js shows, by its
key with ``translate``. Placeholders are ``%(name)s`` everywhere, verify.js's texts included.

Also the English names of Chinese dynasties and periods (``dynasty_name``), so the English
pages can say "Northern Song" where the data says 北宋; the names come from the dates tables
(``wenyuan.resources.dates.dynasty_names``).

Hazard: holds process-wide state: each compiled catalog is read on first use and cached for
the life of the process, so a catalog compiled after that is seen only after a restart.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from babel import Locale
from jinja2 import pass_context
from markupsafe import Markup, escape

from wenyuan.resources.dates import dynasty_names

if TYPE_CHECKING:
    from jinja2 import Environment
    from jinja2.runtime import Context

__all__ = [
    "DOMAIN",
    "LANGS",
    "LOCALE_DIR",
    "SOURCE_LANG",
    "dynasty_name",
    "install",
    "language_name",
    "translate",
    "translations",
]

#: The UI's languages, the default first.
LANGS = ("zh", "en")
#: The language of the message ids; its pages read no catalog.
SOURCE_LANG = "en"
#: The catalogs: ``LOCALE_DIR/<lang>/LC_MESSAGES/messages.po`` and the compiled ``.mo``.
LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"


class Message(NamedTuple):
    """A message marked for translation but translated later: its English text (the msgid)
    and the context that tells it apart from the same English elsewhere."""

    msgid: str
    context: str | None = None


def N_(msgid: str) -> Message:
    """Mark ``msgid`` for extraction (Babel's default keyword ``N_``); it is translated when
    a page asks for it."""
    return Message(msgid)


def C_(context: str, msgid: str) -> Message:
    """Mark ``msgid`` in ``context`` for extraction (the keyword ``C_:1c,2`` of
    ``[tool.babel]`` in pyproject.toml); it is translated with ``pgettext``."""
    return Message(msgid, context)


#: Messages chosen at run time, by key: a search facet, a label's language, a record type, a
#: creator's role, a collection, a record field, an error status, a statement kind, and the
#: texts verify.js names (``ledger_pages.VERIFY_KEYS``). The catalogs hold their translations.
_KEYED: dict[str, Message] = {
    "type": C_("search facet", "Type"),
    "dynasty": C_("search facet", "Dynasty"),
    "creator": C_("search facet", "Creator"),
    "source": C_("search facet", "Source"),
    "lang_zh-Hans": C_("label language", "Simplified"),
    "lang_zh-Hant": C_("label language", "Traditional"),
    "lang_en": C_("label language", "English"),
    "lang_pinyin": C_("label language", "Pinyin"),
    "type_poem": C_("record type", "Poem"),
    "type_ci": C_("record type", "Ci lyric"),
    "type_qu": C_("record type", "Qu song"),
    "type_artwork": C_("record type", "Artwork"),
    "type_object": C_("record type", "Object"),
    "type_person": C_("record type", "Person"),
    "type_site": C_("record type", "Heritage site"),
    "type_place": C_("record type", "Place"),
    "type_text": C_("record type", "Text"),
    "type_event": C_("record type", "Event"),
    "role_author": C_("creator role", "Author"),
    "role_artist": C_("creator role", "Artist"),
    "role_creator": C_("creator role", "Creator"),
    "role_copyist": C_("creator role", "Copyist"),
    "source_sample": C_("collection", "Sample collection"),
    "source_chinese-poetry": C_("collection", "chinese-poetry"),
    "source_tate": C_("collection", "Tate"),
    "source_cmoa": C_("collection", "Carnegie Museum of Art"),
    "source_dc-xml": C_("collection", "Dublin Core XML"),
    "field_form": C_("record field", "Form"),
    "field_cipai": C_("record field", "Ci tune"),
    "field_qupai": C_("record field", "Qu tune"),
    "field_gongdiao": C_("record field", "Mode (gongdiao)"),
    "field_institution": C_("record field", "Institution"),
    "field_collection": C_("record field", "Collection"),
    "field_material": C_("record field", "Material"),
    "field_dimensions": C_("record field", "Dimensions"),
    "field_excavated": C_("record field", "Excavated"),
    "field_location": C_("record field", "Location"),
    "field_coordinates": C_("record field", "Coordinates"),
    "field_unesco_year": C_("record field", "World Heritage since"),
    "field_unesco_name": C_("record field", "UNESCO listing"),
    "field_courtesy_name": C_("record field", "Courtesy name"),
    "field_given_name": C_("record field", "Given name"),
    "field_art_names": C_("record field", "Art names"),
    "field_other_names": C_("record field", "Other names"),
    "field_excerpt": C_("record field", "Excerpt"),
    "field_extension": C_("record field", "Extension"),
    "field_work": C_("record field", "Work"),
    "field_preface": C_("record field", "Preface"),
    "field_copyist": C_("record field", "Copyist"),
    "yes": N_("Yes"),
    "no": N_("No"),
    "error_400": N_("The request was not understood."),
    "error_404": N_("No such record or page."),
    "error_422": N_("The search terms are not valid."),
    "error_500": N_("Server error; try again later."),
    "error_503": N_("Unavailable; try again later."),
    "kind_register": C_("statement kind", "Registration"),
    "kind_transfer": C_("statement kind", "Transfer"),
    "kind_grant-licence": C_("statement kind", "Licence granted"),
    "kind_revoke": C_("statement kind", "Licence revoked"),
    "kind_log-handover": C_("statement kind", "Log handover"),
    "verify_button": N_("Verify"),
    "verify_running": N_("Checking…"),
    "verify_ok": N_("The receipt verifies: this statement is in the tree the log signed."),
    "verify_failed": N_("The receipt does not verify: do not rely on this statement."),
    "verify_step_1": N_("Read the receipt"),
    "verify_step_2": N_("Check the log's signature on the checkpoint"),
    "verify_step_3": N_("Read the checkpoint"),
    "verify_step_4": N_("Witness cosignatures"),
    "verify_step_5": N_("Decode the entry and check the issuer's signature"),
    "verify_step_6": N_("Compare the readable statement with the entry"),
    "verify_step_7": N_("Check the inclusion proof against the checkpoint's root"),
    "verify_no_quorum": N_("this log needs no witnesses"),
    "verify_witnesses_ok": N_(
        "cosigned by %(count)s of the page's witnesses (quorum %(quorum)s): %(names)s"
    ),
    "verify_r_fetch": N_("could not fetch the receipt (%(detail)s)"),
    "verify_r_json": N_("the receipt is not a JSON object"),
    "verify_r_field": N_("the field %(name)s is missing or of the wrong type"),
    "verify_r_format": N_("unknown receipt format %(detail)s"),
    "verify_r_index": N_("the receipt is for entry %(detail)s, not %(index)s"),
    "verify_r_base64": N_("%(name)s is not valid base64"),
    "verify_r_vkey": N_("the page's verifier key is malformed: %(detail)s"),
    "verify_r_note": N_("the checkpoint is not a signed note: %(detail)s"),
    "verify_r_unsigned": N_("the checkpoint carries no signature by %(name)s"),
    "verify_r_bad_sig": N_("the log's signature does not match the checkpoint"),
    "verify_r_no_log_key": N_("the page has no verifier key for the log %(log)s"),
    "verify_r_witness_key": N_("a witness key on the page is malformed: %(detail)s"),
    "verify_r_ambiguous_key": N_("two keys on the page share the name and key id %(name)s"),
    "verify_r_bad_cosig": N_("the cosignature of witness %(name)s does not match the checkpoint"),
    "verify_r_witness_keys": N_(
        "a quorum of %(quorum)s needs %(quorum)s witness keys; the page lists %(count)s"
    ),
    "verify_r_quorum": N_("%(count)s of the trusted witnesses cosigned; the quorum is %(quorum)s"),
    "verify_r_checkpoint": N_("the checkpoint body is malformed: %(detail)s"),
    "verify_r_size": N_("the checkpoint's size is %(detail)s, the receipt says %(size)s"),
    "verify_r_origin": N_("the checkpoint is from %(detail)s, not %(origin)s"),
    "verify_r_leaf": N_("the entry is not a valid statement: %(detail)s"),
    "verify_r_issuer": N_("the entry's key is not the statement's issuer"),
    "verify_r_canonical": N_("the entry is not in canonical (RFC 8785) form"),
    "verify_r_policy": N_(
        "%(name)s breaks the Ed25519 policy: %(detail)s (such signatures can be forged)"
    ),
    "verify_r_statement_sig": N_("the issuer's signature does not match the statement"),
    "verify_r_readable": N_("the readable %(name)s differs from the one in the entry"),
    "verify_r_proof_shape": N_("the inclusion proof is malformed: %(detail)s"),
    "verify_r_root": N_("the inclusion proof leads to a root other than the checkpoint's"),
    "verify_r_error": N_("unexpected error: %(detail)s"),
}


@cache
def translations(lang: str, locale_dir: Path = LOCALE_DIR) -> gettext.NullTranslations:
    """The compiled catalog of ``lang`` in ``locale_dir``; English and unknown languages read
    the msgids.

    Raises ``FileNotFoundError`` naming the command that compiles the catalogs when the
    compiled file is missing (a checkout where ``make`` has not run).
    """
    if lang not in LANGS or lang == SOURCE_LANG:
        return gettext.NullTranslations()
    path = locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    try:
        with path.open("rb") as compiled:
            return gettext.GNUTranslations(compiled)
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            f"the compiled {lang} catalog {path} is missing; compile the catalogs with "
            f"`make catalogs` (pybabel compile -d {locale_dir} -D {DOMAIN})"
        ) from exc


def _gettext(lang: str, message: Message) -> str:
    catalog = translations(lang)
    if message.context is None:
        return catalog.gettext(message.msgid)
    return catalog.pgettext(message.context, message.msgid)


def translate(key: str, lang: str, **values: object) -> str:
    """The text of the message ``key`` in ``lang``, with ``values`` in its ``%(name)s``
    placeholders (left as they are without ``values``, for verify.js to fill); the key
    itself when no message has that key."""
    message = _KEYED.get(key)
    if message is None:
        return key
    text = _gettext(lang, message)
    return text % values if values else text


def language_name(lang: str) -> str:
    """``lang``'s name in itself (中文, English), as the language switch shows it."""
    return str(Locale.parse(lang).display_name)


# -- the templates' gettext: the language is the rendered page's (its context's ``lang``) --


def _page_lang(context: Context) -> str:
    return str(context.get("lang", LANGS[0]))


@pass_context
def _template_gettext(context: Context, message: str) -> Markup:
    return escape(translations(_page_lang(context)).gettext(message))


@pass_context
def _template_ngettext(context: Context, singular: str, plural: str, n: int) -> Markup:
    return escape(translations(_page_lang(context)).ngettext(singular, plural, n))


@pass_context
def _template_pgettext(context: Context, msgctxt: str, message: str) -> Markup:
    return escape(translations(_page_lang(context)).pgettext(msgctxt, message))


@pass_context
def _template_npgettext(
    context: Context, msgctxt: str, singular: str, plural: str, n: int
) -> Markup:
    catalog = translations(_page_lang(context))
    return escape(catalog.npgettext(msgctxt, singular, plural, n))


def install(env: Environment) -> None:
    """Add Jinja2's i18n extension to ``env`` with gettext in each page's language.

    The functions are installed once and read the language from the context a template
    renders with, so pages in two languages can render at the same time. Translations are
    escaped like any other text, and placeholders filled by ``%`` (the extension's
    "newstyle" gettext: ``{{ _("entry %(n)s", n=index) }}``).
    """
    env.add_extension("jinja2.ext.i18n")
    cast(Any, env).install_gettext_callables(
        gettext=_template_gettext,
        ngettext=_template_ngettext,
        pgettext=_template_pgettext,
        npgettext=_template_npgettext,
        newstyle=True,
    )


# -- dynasty names ---------------------------------------------------------------------------


def dynasty_name(value: str, lang: str) -> str:
    """``value`` (a dynasty or period as the data writes it) named for ``lang``.

    Chinese is returned as written. In English, names the dates tables know are translated,
    including runs like 明清 ("Ming–Qing") and ranges like 唐至今 ("Tang to the present");
    anything else is returned as written rather than half-translated.
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


@cache
def _longest_name() -> int:
    return max(len(name) for name in dynasty_names())


def _split_names(text: str) -> list[str] | None:
    english = dynasty_names()
    names = []
    while text:
        for size in range(min(_longest_name(), len(text)), 0, -1):
            if text[:size] in english:
                names.append(english[text[:size]])
                text = text[size:]
                break
        else:
            return None
    return names or None
