"""Server-rendered pages: the search page and the record page, in Chinese and English.

Each page renders from a typed context (a dataclass), so a test can check exactly what a
page was given. The pages work without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from wenyuan.app import Platform, SearchPage
from wenyuan.core.errors import WenyuanError
from wenyuan.resources import Record
from wenyuan.search import FACETS
from wenyuan.web.i18n import LANGS, translate

__all__ = ["RecordContext", "SearchContext", "error_page", "router", "templates"]

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
router = APIRouter(include_in_schema=False)
_PAGE_SIZE = 20


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def current_lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
    return lang if lang in LANGS else "zh"


LangDep = Annotated[str, Depends(current_lang)]


@dataclass(slots=True)
class SearchContext:
    lang: str
    q: str
    filters: dict[str, list[str]]
    year_from: int | None
    year_to: int | None
    page: SearchPage | None
    total_records: int
    prev_url: str | None = None
    next_url: str | None = None
    facet_links: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass(slots=True)
class RecordContext:
    lang: str
    record: Record
    title: str


def _render(request: Request, name: str, context: Any, lang: str, status: int = 200) -> Response:
    def t(key: str, **values: object) -> str:
        return translate(key, lang, **values)

    response = templates.TemplateResponse(
        request, name, {"ctx": context, "t": t, "lang": lang}, status_code=status
    )
    if request.query_params.get("lang") in LANGS:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


def _int_or_none(value: str | None) -> int | None:
    if value is None or value.strip() == "":
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if -10_000 <= number <= 10_000 else None


@router.get("/", response_class=HTMLResponse)
def search_page(
    request: Request,
    platform: PlatformDep,
    lang: LangDep,
    q: Annotated[str, Query(max_length=500)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> Response:
    filters = {name: [v for v in request.query_params.getlist(name) if v][:20] for name in FACETS}
    filters = {k: v for k, v in filters.items() if v}
    year_from = _int_or_none(request.query_params.get("year_from"))
    year_to = _int_or_none(request.query_params.get("year_to"))
    page = None
    if q or filters or year_from is not None or year_to is not None:
        page = platform.search(
            q,
            limit=_PAGE_SIZE,
            offset=offset,
            filters=filters,
            year_from=year_from,
            year_to=year_to,
        )
    ctx = SearchContext(lang, q, filters, year_from, year_to, page, platform.store.count())
    if page:
        base: dict[str, Any] = {"q": q, **filters}
        if year_from is not None:
            base["year_from"] = year_from
        if year_to is not None:
            base["year_to"] = year_to
        if offset > 0:
            ctx.prev_url = "/?" + urlencode(
                {**base, "offset": max(0, offset - _PAGE_SIZE)}, doseq=True
            )
        if offset + _PAGE_SIZE < page.total:
            ctx.next_url = "/?" + urlencode({**base, "offset": offset + _PAGE_SIZE}, doseq=True)
        for name, values in page.facets.items():
            links = []
            for facet in values:
                chosen = facet.value in filters.get(name, [])
                new = dict(filters)
                current = [v for v in new.get(name, []) if v != facet.value]
                new[name] = current if chosen else [*current, facet.value]
                params = {"q": q, **{k: v for k, v in new.items() if v}}
                if year_from is not None:
                    params["year_from"] = year_from
                if year_to is not None:
                    params["year_to"] = year_to
                label = facet.value
                if name == "type":
                    label = translate(f"type_{facet.value}", lang)
                links.append(
                    {
                        "label": label,
                        "value": facet.value,
                        "count": facet.count,
                        "chosen": chosen,
                        "url": "/?" + urlencode(params, doseq=True),
                    }
                )
            ctx.facet_links[name] = links
    return _render(request, "search.html", ctx, lang)


@router.get("/resources/{record_id}", response_class=HTMLResponse)
def record_page(request: Request, record_id: str, platform: PlatformDep, lang: LangDep) -> Response:
    record = platform.get_record(record_id)
    title = record.title("en" if lang == "en" else "zh-Hans")
    return _render(request, "record.html", RecordContext(lang, record, title), lang)


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
    """The HTML page for an error met while rendering a page."""
    lang = current_lang(request)
    status = exc.status if isinstance(exc, WenyuanError) else getattr(exc, "status_code", 500)
    detail = exc.detail if isinstance(exc, WenyuanError) else translate("error", lang)
    if status >= 500 and not isinstance(exc, WenyuanError):
        detail = translate("error", lang)
    return _render(
        request, "error.html", {"status": status, "detail": str(detail)}, lang, status=status
    )
