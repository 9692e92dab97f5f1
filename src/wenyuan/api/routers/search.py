"""GET /api/search: Chinese-first full-text search with facets and a year range.

The router is built for each application from its settings (``search_router``): the largest
``limit`` is ``Settings.max_search_limit``, the other bounds those of ``wenyuan.app.limits``,
so the OpenAPI document states what the platform accepts.

This module does not use ``from __future__ import annotations``: the parameters' types carry
bounds known only when the router is built, and FastAPI reads a parameter's type from the
annotation object, which a postponed (string) annotation in a closure would not resolve to.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from wenyuan.api.deps import PlatformDep
from wenyuan.api.schemas import SearchOut, search_out
from wenyuan.app.limits import MAX_FACET_VALUES, MAX_OFFSET, MAX_SEARCH_QUERY, MAX_YEAR
from wenyuan.core.config import Settings
from wenyuan.search import FACETS

__all__ = ["search_router"]

Facet = Annotated[list[str] | None, Query(max_length=MAX_FACET_VALUES)]
FacetName = Literal["type", "dynasty", "creator", "source", "all"]
Year = Annotated[int | None, Query(ge=-MAX_YEAR, le=MAX_YEAR)]


def search_router(settings: Settings) -> APIRouter:
    """The search route, its ``limit`` bounded by ``settings.max_search_limit``."""
    router = APIRouter(prefix="/search", tags=["search"])

    @router.get("", response_model=SearchOut, summary="Search the collection")
    def search(
        platform: PlatformDep,
        q: Annotated[
            str,
            Query(max_length=MAX_SEARCH_QUERY, description="Words, characters, pinyin or English."),
        ] = "",
        limit: Annotated[int, Query(ge=1, le=settings.max_search_limit)] = 20,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        type: Facet = None,
        dynasty: Facet = None,
        creator: Facet = None,
        source: Facet = None,
        year_from: Year = None,
        year_to: Year = None,
        facets: Annotated[
            list[FacetName] | None,
            Query(description="Facets to count (repeat, or `all`); none by default."),
        ] = None,
    ) -> SearchOut:
        """Search titles, texts, names (also in pinyin: `li bai`, `libai`) and English fields.

        Traditional and simplified characters find each other. Ask for facet counts with
        `facets=type&facets=creator` (or `facets=all`) and pass values back as filters. A year
        range keeps records whose time span overlaps it.
        """
        filters = {
            name: values
            for name, values in (
                ("type", type),
                ("dynasty", dynasty),
                ("creator", creator),
                ("source", source),
            )
            if values
        }
        wanted = tuple(FACETS) if facets and "all" in facets else tuple(dict.fromkeys(facets or ()))
        page = platform.search(
            q,
            limit=limit,
            offset=offset,
            filters=filters,
            year_from=year_from,
            year_to=year_to,
            facets=wanted,
        )
        return search_out(page)

    return router
