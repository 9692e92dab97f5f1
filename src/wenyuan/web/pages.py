"""Server-rendered pages: the search page and the record page, in Chinese and English.

Each page renders from a typed context (a dataclass), so a test can check exactly what a
page was given. The pages work without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from wenyuan._deps import PlatformDep
from wenyuan.app import SearchPage
from wenyuan.app.limits import MAX_FACET_VALUES, MAX_OFFSET, MAX_SEARCH_QUERY, MAX_YEAR
from wenyuan.core.errors import WenyuanError
from wenyuan.resources import LABEL_KEYS, Record, TimeSpan
from wenyuan.search import FACETS, FacetCount
from wenyuan.web.i18n import LANGS, dynasty_name, install, language_name, translate

__all__ = [
    "Detail",
    "ErrorContext",
    "RecordContext",
    "SearchContext",
    "error_page",
    "record_context",
    "router",
    "templates",
]

_env = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(),
)
install(_env)
templates = Jinja2Templates(env=_env)
router = APIRouter(include_in_schema=False)
#: Hits a page shows (fewer if ``WENYUAN_MAX_SEARCH_LIMIT`` is smaller).
_PAGE_SIZE = 20
#: Values a facet lists, and how many it lists once the reader asks for more (``more=``).
_FACET_SHOWN = 20
_FACET_EXPANDED = 100


def current_lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
    return lang if lang in LANGS else "zh"


LangDep = Annotated[str, Depends(current_lang)]


@dataclass(slots=True)
class SearchContext:
    """What the search page shows; ``page`` is None before anything is asked."""

    lang: str
    q: str
    filters: dict[str, list[str]]
    year_from: int | None
    year_to: int | None
    page: SearchPage | None
    #: Records in the collection; filled for the empty search page, which shows it.
    total_records: int = 0
    prev_url: str | None = None
    next_url: str | None = None
    #: facet name → links, each {"label", "value", "count", "chosen", "url"}.
    facet_links: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: The facet listing up to 100 values (``more=``), or None when each lists 20.
    expanded: str | None = None
    #: facet name → the "more" link, for each facet that has more values than it lists.
    more_urls: dict[str, str] = field(default_factory=dict)
    #: On the expanded facet: the link back to 20 values.
    fewer_url: str | None = None
    #: On the empty search page: one link per record type, {"label", "count", "url"}.
    browse: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Detail:
    """One row of a record page's details table; ``url`` links the value when set."""

    label: str
    value: str
    url: str | None = None


@dataclass(slots=True)
class RecordContext:
    """What the record page shows: the record and its fields made ready to read."""

    lang: str
    record: Record
    title: str
    #: (language key, language name, label), Chinese first.
    labels: list[tuple[str, str, str]] = field(default_factory=list)
    creators: list[Detail] = field(default_factory=list)
    dynasty: str | None = None
    #: The parsed years, e.g. "前202–8年"; None when unparsed or already in the text.
    years: str | None = None
    #: (language key, text), the reader's language first.
    descriptions: list[tuple[str, str]] = field(default_factory=list)
    details: list[Detail] = field(default_factory=list)
    source_label: str = ""


@dataclass(slots=True)
class ErrorContext:
    """What the error page shows: a message in the reader's language and the raw detail."""

    lang: str
    status: int
    message: str
    detail: str | None = None


def _render(request: Request, name: str, context: Any, lang: str, status: int = 200) -> Response:
    """Render template ``name`` in ``lang``: its words through ``_()`` (the catalogs), a
    message chosen at run time through ``t(key)``, a dynasty name through ``dynasty()``."""

    def t(key: str, **values: object) -> str:
        return translate(key, lang, **values)

    response = templates.TemplateResponse(
        request,
        name,
        {
            "ctx": context,
            "t": t,
            "lang": lang,
            "switch_url": _switch_url(request, lang),
            "switch_name": language_name(_other_lang(lang)),
            "dynasty": lambda value: dynasty_name(value, lang),
        },
        status_code=status,
    )
    if request.query_params.get("lang") in LANGS:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


def _other_lang(lang: str) -> str:
    return "en" if lang == "zh" else "zh"


def _switch_url(request: Request, lang: str) -> str:
    """The language switch: the other language, back to this page, minus any ``lang=``."""
    other = _other_lang(lang)
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    target = request.url.path + ("?" + urlencode(query) if query else "")
    return f"/lang/{other}?" + urlencode({"next": target})


def _known(key: str, lang: str) -> str | None:
    text = translate(key, lang)
    return None if text == key else text


def _facet_label(name: str, value: str, lang: str) -> str:
    if name in ("type", "source"):
        return _known(f"{name}_{value}", lang) or value
    if name == "dynasty":
        return dynasty_name(value, lang)
    return value


def _year(year: int, lang: str) -> str:
    if year >= 0:
        return str(year)
    return f"前{-year}" if lang == "zh" else f"{-year} BCE"


def _years(span: TimeSpan | None, lang: str) -> str | None:
    """The parsed years of ``span`` for reading, or None if unparsed or said by the text."""
    if span is None or span.earliest is None:
        return None
    latest = span.latest if span.latest is not None else span.earliest
    if lang == "zh":
        bare = _year(span.earliest, lang)
        if latest != span.earliest:
            bare += "–" + _year(latest, lang)
        return None if bare in span.text else bare + "年"
    if latest == span.earliest:
        text = _year(latest, lang)
    elif latest < 0:
        text = f"{-span.earliest}–{-latest} BCE"
    elif span.earliest < 0:
        text = f"{-span.earliest} BCE – {latest} CE"
    else:
        text = f"{span.earliest}–{latest}"
    return None if text in span.text else text


def _value(value: object, lang: str) -> str:
    if isinstance(value, bool):
        return translate("yes" if value else "no", lang)
    if isinstance(value, list | tuple):
        return ("、" if lang == "zh" else ", ").join(str(v) for v in value)
    return str(value)


def _details(record: Record, lang: str) -> list[Detail]:
    rows = []
    extra = dict(record.extra)
    lat, lon = extra.pop("lat", None), extra.pop("lon", None)
    for key, value in extra.items():
        label = _known(f"field_{key}", lang) or key.replace("_", " ")
        rows.append(Detail(label, _value(value, lang)))
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        url = f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=12/{lat}/{lon}"
        rows.append(Detail(translate("field_coordinates", lang), f"{lat}, {lon}", url))
    return rows


def record_context(record: Record, lang: str) -> RecordContext:
    """The record page's context for ``record`` in ``lang``."""
    labels = [
        (key, translate(f"lang_{key}", lang), record.labels[key])
        for key in (*LABEL_KEYS, *sorted(set(record.labels) - set(LABEL_KEYS)))
        if record.labels.get(key)
    ]
    order = ("en", "zh-Hans", "zh-Hant") if lang == "en" else ("zh-Hans", "zh-Hant", "en")
    descriptions = [(k, record.description[k]) for k in order if record.description.get(k)]
    descriptions += [(k, v) for k, v in record.description.items() if k not in order and v]
    creators = [
        Detail(
            _known(f"role_{c.role}", lang) or c.role,
            c.name + (f" ({c.pinyin})" if c.pinyin else ""),
            "/?" + urlencode({"creator": c.name}),
        )
        for c in record.creators
    ]
    return RecordContext(
        lang,
        record,
        record.title("en" if lang == "en" else "zh-Hans"),
        labels=labels,
        creators=creators,
        dynasty=dynasty_name(record.dynasty, lang) if record.dynasty else None,
        years=_years(record.time, lang),
        descriptions=descriptions,
        details=_details(record, lang),
        source_label=_known(f"source_{record.source}", lang) or record.source,
    )


def _expansion_url(request: Request, facet: str, expand: bool) -> str:
    """This search again, every parameter kept, with ``facet`` expanded or not; the
    fragment brings the reader back to the facet."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "more"]
    if expand:
        query.append(("more", facet))
    return "/?" + urlencode(query) + f"#facet-{facet}"


def _facet_link(
    name: str, facet: FacetCount, base: dict[str, Any], filters: dict[str, list[str]], lang: str
) -> dict[str, Any]:
    """The link for one facet value: it adds the value to the filters, or drops it if chosen."""
    chosen = facet.value in filters.get(name, [])
    new = dict(filters)
    current = [v for v in new.get(name, []) if v != facet.value]
    new[name] = current if chosen else [*current, facet.value]
    params = {**base, **{k: v for k, v in new.items() if v}}
    return {
        "label": _facet_label(name, facet.value, lang),
        "value": facet.value,
        "count": facet.count,
        "chosen": chosen,
        "url": "/?" + urlencode(params, doseq=True),
    }


def _int_or_none(value: str | None) -> int | None:
    if value is None or value.strip() == "":
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if -MAX_YEAR <= number <= MAX_YEAR else None


@router.get("/", response_class=HTMLResponse)
def search_page(
    request: Request,
    platform: PlatformDep,
    lang: LangDep,
    q: str = "",
) -> Response:
    # Parsed by hand, not validated by FastAPI: a page answers odd input with a page (a
    # cut-short query, the first results), never with the API's problem+json.
    q = q.strip()[:MAX_SEARCH_QUERY]
    offset = min(max(_int_or_none(request.query_params.get("offset")) or 0, 0), MAX_OFFSET)
    filters = {
        name: [v for v in request.query_params.getlist(name) if v][:MAX_FACET_VALUES]
        for name in FACETS
    }
    page_size = min(_PAGE_SIZE, platform.settings.max_search_limit)
    filters = {k: v for k, v in filters.items() if v}
    year_from = _int_or_none(request.query_params.get("year_from"))
    year_to = _int_or_none(request.query_params.get("year_to"))
    # An unknown facet name in ``more=`` is ignored, like any other odd input.
    more = request.query_params.get("more")
    expanded = more if more in FACETS else None
    if year_from is not None and year_to is not None and year_from > year_to:
        year_from, year_to = year_to, year_from
    page = None
    if q or filters or year_from is not None or year_to is not None:
        page = platform.search(
            q,
            facets=FACETS,
            # One more than a facet lists tells whether it has more to show.
            facet_limit=_FACET_EXPANDED if expanded else _FACET_SHOWN + 1,
            limit=page_size,
            offset=offset,
            filters=filters,
            year_from=year_from,
            year_to=year_to,
        )
    ctx = SearchContext(lang, q, filters, year_from, year_to, page)
    ctx.expanded = expanded if page is not None else None
    if page is None:
        # The empty page shows the collection's size and a way in by type: one browse search
        # gives both (the index counts its documents; no SQL count over every record).
        everything = platform.search("", limit=1, facets=("type",))
        ctx.total_records = everything.total
        ctx.browse = [
            {
                "label": _facet_label("type", facet.value, lang),
                "count": facet.count,
                "url": "/?" + urlencode({"type": facet.value}),
            }
            for facet in everything.facets.get("type", [])
        ]
    if page:
        # What every link on the page keeps: the query, the years, the expanded facet.
        keep: dict[str, Any] = {"q": q}
        if year_from is not None:
            keep["year_from"] = year_from
        if year_to is not None:
            keep["year_to"] = year_to
        if expanded:
            keep["more"] = expanded
        base = {**keep, **filters}
        if offset > 0:
            ctx.prev_url = "/?" + urlencode(
                {**base, "offset": max(0, offset - page_size)}, doseq=True
            )
        if offset + page_size < page.total:
            ctx.next_url = "/?" + urlencode({**base, "offset": offset + page_size}, doseq=True)
        for name, values in page.facets.items():
            shown = _FACET_EXPANDED if name == expanded else _FACET_SHOWN
            ctx.facet_links[name] = [
                _facet_link(name, facet, keep, filters, lang) for facet in values[:shown]
            ]
            if len(values) > shown and name != expanded:
                ctx.more_urls[name] = _expansion_url(request, name, expand=True)
        if expanded and len(page.facets.get(expanded, [])) > _FACET_SHOWN:
            ctx.fewer_url = _expansion_url(request, expanded, expand=False)
    return _render(request, "search.html", ctx, lang)


@router.get("/resources/{record_id}", response_class=HTMLResponse)
def record_page(request: Request, record_id: str, platform: PlatformDep, lang: LangDep) -> Response:
    record = platform.get_record(record_id)
    return _render(request, "record.html", record_context(record, lang), lang)


@router.get("/lang/{lang}")
def switch_lang(request: Request, lang: str) -> Response:
    target = request.query_params.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = RedirectResponse(target, status_code=303)
    if lang in LANGS:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


def error_page(request: Request, exc: Exception) -> Response:
    """The HTML page for an error met while rendering a page, in the reader's language."""
    lang = current_lang(request)
    status = exc.status if isinstance(exc, WenyuanError) else getattr(exc, "status_code", 500)
    message = _known(f"error_{status}", lang)
    if message is None:
        message = translate("error_500" if status >= 500 else "error_400", lang)
    detail = None
    if isinstance(exc, WenyuanError) and status < 500:
        detail = str(exc.detail)
    ctx = ErrorContext(lang, status, message, detail)
    return _render(request, "error.html", ctx, lang, status=status)
