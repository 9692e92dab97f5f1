"""GET /api/dates/parse: the date parser as a service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from wenyuan.api.openapi import problems
from wenyuan.api.schemas import DateOut
from wenyuan.resources.dates import MAX_LENGTH, parse_date

__all__ = ["router"]

router = APIRouter(prefix="/dates", tags=["dates"])


@router.get(
    "/parse",
    response_model=DateOut,
    summary="Parse a date as museums and catalogues write it",
    responses=problems(422, s422="The text is not a date we understand."),
)
def parse(text: Annotated[str, Query(min_length=1, max_length=MAX_LENGTH)]) -> DateOut:
    """Dynasties, reign eras (乾隆五十年), centuries, decades, ranges, "c. 1850". BCE < 0."""
    span = parse_date(text)
    return DateOut(text=span.text, earliest=span.earliest, latest=span.latest, label=span.label)
