"""GET /api/search: Chinese-first full-text search with facets and a year range."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from wenyuan.api.deps import PlatformDep
from wenyuan.api.schemas import SearchOut, search_out
from wenyuan.search import FACETS

__all__ = ["router"]

router = APIRouter(prefix="/search", tags=["search"])

Facet = Annotated[list[str] | None, Query(max_length=20)]
FacetName = Literal["type", "dynasty", "creator", "source", "all"]


@router.get("", response_model=SearchOut, summary="Search the collection")
def search(
    platform: PlatformDep,
    q: Annotated[
        str, Query(max_length=500, description="Words, characters, pinyin or English.")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    type: Facet = None,
    dynasty: Facet = None,
    creator: Facet = None,
    source: Facet = None,
    year_from: Annotated[int | None, Query(ge=-10_000, le=10_000)] = None,
    year_to: Annotated[int | None, Query(ge=-10_000, le=10_000)] = None,
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
