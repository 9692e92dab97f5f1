"""GET /api/resources and /api/resources/{id}: records, paginated with opaque cursors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from wenyuan.api.deps import PlatformDep
from wenyuan.api.openapi import problems
from wenyuan.api.schemas import RecordOut, RecordPageOut, record_out
from wenyuan.app.limits import MAX_RECORDS_LIMIT

__all__ = ["router"]

router = APIRouter(prefix="/resources", tags=["resources"])


@router.get("", response_model=RecordPageOut, summary="List records")
def list_records(
    platform: PlatformDep,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_RECORDS_LIMIT)] = 50,
    type: Annotated[str | None, Query(max_length=32)] = None,
    source: Annotated[str | None, Query(max_length=64)] = None,
) -> RecordPageOut:
    """Records in a stable order; follow `next_cursor` until it is null."""
    page = platform.list_records(cursor=cursor, limit=limit, type=type, source=source)
    return RecordPageOut(items=[record_out(r) for r in page.records], next_cursor=page.next_cursor)


@router.get(
    "/{record_id}",
    response_model=RecordOut,
    summary="One record",
    responses=problems(404, s404="No record with this id."),
)
def get_record(
    platform: PlatformDep,
    record_id: Annotated[str, Path(max_length=64)],
) -> RecordOut:
    """A record with its labels in every language, creators, time span, provenance."""
    return record_out(platform.get_record(record_id))
