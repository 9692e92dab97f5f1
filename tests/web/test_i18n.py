"""The web UI's words: the gettext catalogs against the code and templates that use them,
the templates' gettext, and dynasty names on the English pages."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_keywords
from babel.messages.pofile import read_po

from tests.web.conftest import TestClient
from wenyuan.app import Platform
from wenyuan.asgi import create_app
from wenyuan.core.config import Settings
from wenyuan.ledger._statements import KINDS
from wenyuan.resources import LABEL_KEYS, RECORD_TYPES
from wenyuan.resources.dates import dynasty_names
from wenyuan.search import FACETS
from wenyuan.web.i18n import LANGS, LOCALE_DIR, SOURCE_LANG, translate, translations
from wenyuan.web.pages import SearchContext, templates

ROOT = Path(__file__).resolve().parents[2]
WEB = LOCALE_DIR.parent
#: The languages that have a catalog: every UI language but the msgids' own.
CATALOG_LANGS = [lang for lang in LANGS if lang != SOURCE_LANG]
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")

#: A message as gettext finds it: (context, msgid), the msgid a (singular, plural) pair for
#: a message whose form depends on a count.
Key = tuple[str | None, str | tuple[str, ...]]


def _extract() -> dict[Key, str]:
    """Every message the web code and templates use, extracted as ``make messages`` does
    (the mappings of ``[tool.babel]`` in pyproject.toml), with where it was found."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    mappings = config["tool"]["babel"]["mappings"]
    method_map = [(m["pattern"], m["method"]) for m in mappings]
    options_map: dict[str, dict[str, Any]] = {
        m["pattern"]: {"keywords": parse_keywords(m["keywords"].split())} if "keywords" in m else {}
        for m in mappings
    }
    found: dict[Key, str] = {}
    for filename, lineno, message, _, context in extract_from_dir(WEB, method_map, options_map):
        msgid = message if isinstance(message, str) else tuple(message)
        found.setdefault((context, msgid), f"{filename}:{lineno}")
    return found


def _key(message: Any) -> Key:
    msgid = message.id if isinstance(message.id, str) else tuple(message.id)
    return (message.context, msgid)


def _read(path: Path) -> Catalog:
    with path.open("rb") as source:
        return read_po(source)


def _catalog(lang: str) -> Catalog:
    return _read(LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po")


def _placeholders(text: str) -> list[str]:
    return sorted(set(_PLACEHOLDER.findall(text)))


@pytest.fixture(scope="module")
def extracted() -> dict[Key, str]:
    """The messages in use, from a fresh extraction of the web package."""
    return _extract()


def test_extraction_finds_the_words_of_templates_and_code(extracted: dict[Key, str]) -> None:
    """The extraction sees template words, plural forms and contexts marked in Python."""
    assert (None, "Search") in extracted
    assert (None, ("%(num)s result", "%(num)s results")) in extracted
    assert ("record type", "Text") in extracted
    assert (None, "Text") not in extracted
    assert len(extracted) > 150


def test_each_ui_language_but_english_has_a_catalog() -> None:
    """English is the msgids' language; every other UI language has a catalog."""
    assert CATALOG_LANGS == ["zh"]
    folders = {path.name for path in LOCALE_DIR.iterdir() if path.is_dir()}
    assert folders == set(CATALOG_LANGS)


@pytest.mark.parametrize("lang", CATALOG_LANGS)
def test_every_message_in_use_has_a_translation(lang: str, extracted: dict[Key, str]) -> None:
    """Each message of the templates and web code has a translation in the catalog, not
    fuzzy, not empty in any form, with the placeholders of its English."""
    catalog = _catalog(lang)
    for (context, msgid), where in extracted.items():
        singular = msgid if isinstance(msgid, str) else msgid[0]
        message = catalog.get(singular, context=context)
        assert message is not None, f"{where}: {msgid!r} is not in the {lang} catalog"
        assert not message.fuzzy, f"{where}: {msgid!r} is fuzzy in the {lang} catalog"
        forms = (message.string,) if isinstance(message.string, str) else message.string
        assert forms, f"{where}: {msgid!r} has no translation in {lang}"
        english = msgid if isinstance(msgid, str) else msgid[-1]
        for form in forms:
            assert form.strip(), f"{where}: {msgid!r} has no translation in {lang}"
            assert _placeholders(form) == _placeholders(english), (where, msgid, form)


@pytest.mark.parametrize("lang", CATALOG_LANGS)
def test_a_catalog_holds_only_the_messages_in_use(lang: str, extracted: dict[Key, str]) -> None:
    """No catalog keeps a live message the code no longer uses (``make messages`` moves
    those to the obsolete ``#~`` entries)."""
    catalog = _catalog(lang)
    assert {_key(m) for m in catalog if m.id} == set(extracted)


def test_the_template_catalog_is_the_extraction(extracted: dict[Key, str]) -> None:
    """messages.pot, which a new language starts from, holds exactly the messages in use:
    after a change of words, ``make messages`` has been run."""
    template = _read(LOCALE_DIR / "messages.pot")
    assert {_key(m) for m in template if m.id} == set(extracted)


@pytest.mark.parametrize("lang", CATALOG_LANGS)
def test_the_compiled_catalog_matches_its_po(lang: str) -> None:
    """What the pages read (the compiled .mo) says what the .po says: `make catalogs` has
    compiled the catalog since it last changed."""
    compiled = translations(lang)
    for message in _catalog(lang):
        if not message.id:
            continue
        if isinstance(message.id, str):
            if message.context:
                got = compiled.pgettext(message.context, message.id)
            else:
                got = compiled.gettext(message.id)
            assert got == message.string, f"{message.id!r}: stale .mo, run `make catalogs`"
        else:
            singular, plural = message.id
            for n, form in ((1, 0), (2, -1)):
                got = compiled.ngettext(singular, plural, n)
                assert got == message.string[form], f"{singular!r}: run `make catalogs`"


def test_a_missing_compiled_catalog_names_the_command_that_builds_it(tmp_path: Path) -> None:
    """Without the compiled catalog, loading it fails saying how to compile it."""
    with pytest.raises(FileNotFoundError, match="make catalogs"):
        translations("zh", tmp_path)


def test_english_reads_the_msgids() -> None:
    """English, the msgids' language, needs no catalog; a count picks the English form."""
    english = translations("en")
    assert english.gettext("Search") == "Search"
    assert english.ngettext("%(num)s result", "%(num)s results", 1) == "%(num)s result"
    assert english.ngettext("%(num)s result", "%(num)s results", 0) == "%(num)s results"


@pytest.mark.parametrize("lang", LANGS)
def test_every_value_chosen_at_run_time_has_a_message(lang: str) -> None:
    """Every record type, search facet, label language, statement kind and error status the
    pages name has a message, so none shows as its bare key."""
    keys = [
        *(f"type_{record_type}" for record_type in RECORD_TYPES),
        *FACETS,
        *(f"lang_{key}" for key in LABEL_KEYS),
        *(f"kind_{kind}" for kind in KINDS),
        *(f"error_{status}" for status in (400, 404, 422, 500, 503)),
    ]
    for key in keys:
        assert translate(key, lang) != key, key
    assert translate("no-such-key", lang) == "no-such-key"


@pytest.mark.parametrize(
    ("lang", "n", "expected"),
    [
        pytest.param("zh", 1, "检索 · 共 1 条结果", id="zh"),
        pytest.param("en", 1, "Search · 1 result", id="en-one"),
        pytest.param("en", 2, "Search · 2 results", id="en-many"),
        pytest.param("en", 0, "Search · 0 results", id="en-none"),
    ],
)
def test_templates_translate_in_the_language_of_the_page(lang: str, n: int, expected: str) -> None:
    """``_()`` and ``ngettext()`` in a template read the language of the context it renders
    with (one environment serves both languages), and a count picks the plural form."""
    page = templates.env.from_string(
        "{{ _('Search') }} · {{ ngettext('%(num)s result', '%(num)s results', n) }}"
    )
    assert page.render(lang=lang, n=n) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        pytest.param("zh", "第 &lt;b&gt; 条", id="zh"),
        pytest.param("en", "entry &lt;b&gt;", id="en"),
    ],
)
def test_placeholders_in_templates_are_escaped(lang: str, expected: str) -> None:
    """A value put into a translation is escaped like any other text of the page."""
    page = templates.env.from_string("{{ _('entry %(n)s', n=value) }}")
    assert page.render(lang=lang, value="<b>") == expected


# -- dynasty names on the English pages ------------------------------------------------------


def _dynasty_file() -> dict[str, Any]:
    path = ROOT / "src" / "wenyuan" / "resources" / "dates" / "data" / "dynasties.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _names_in_the_tables() -> dict[str, str]:
    """Simplified Chinese name → English, for every dynasty and period of the dates tables."""
    data = _dynasty_file()
    return {row["zh_hans"]: row["en"] for row in data["dynasty"] + data["period"]}


@pytest.fixture(scope="module")
def dynasty_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A client over a platform holding one object for each dynasty and period of the
    dates tables (its dynasty written in simplified Chinese)."""
    folder = tmp_path_factory.mktemp("dynasties")
    entries = [
        f'[[artefact]]\nid = "object/{i}"\ntype = "object"\ntitle = "{name}器"\n'
        f'dynasty = "{name}"\n'
        for i, name in enumerate(_names_in_the_tables())
    ]
    (folder / "objects.toml").write_text("\n".join(entries), encoding="utf-8")
    data_dir = tmp_path_factory.mktemp("dynasty-platform")
    platform = Platform(Settings(data_dir=data_dir, allowed_hosts=["testserver"]))
    platform.ingest("sample", folder)
    with TestClient(create_app(platform.settings, platform=platform)) as client:
        yield client
    platform.close()


def test_every_dynasty_of_the_tables_has_an_english_name() -> None:
    """Each dynasty and period in the dates tables has an English name, and the web reads
    it from there."""
    names = _names_in_the_tables()
    assert len(names) > 70
    for chinese, english in names.items():
        assert english.strip(), chinese
        assert dynasty_names()[chinese] == english


def test_the_english_page_names_every_dynasty_in_english(dynasty_client: TestClient) -> None:
    """The English search page's dynasty facet shows each dynasty and period of the tables
    by its English name, 金 as Jin (Jurchen)."""
    names = _names_in_the_tables()
    response = dynasty_client.get("/", params={"type": "object", "more": "dynasty", "lang": "en"})

    assert response.status_code == 200
    ctx = response.context["ctx"]
    assert isinstance(ctx, SearchContext)
    labels = {link["value"]: link["label"] for link in ctx.facet_links["dynasty"]}
    assert labels == names
    assert labels["金"] == "Jin (Jurchen)"
    for english in names.values():
        assert f">{english}</a>" in response.text
