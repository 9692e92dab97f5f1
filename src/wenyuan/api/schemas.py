"""Response bodies of the JSON API (pydantic models, so the OpenAPI document is exact)."""

from __future__ import annotations

from typing import Any

import msgspec
from pydantic import BaseModel, ConfigDict, Field

from wenyuan.app import SearchPage
from wenyuan.resources import Record

__all__ = [
    "ConsistencyProofOut",
    "DateOut",
    "EntryOut",
    "FacetValue",
    "InclusionProofOut",
    "PendingReceiptOut",
    "ProblemFieldError",
    "ProblemOut",
    "ReceiptOut",
    "RecordOut",
    "RecordPageOut",
    "SearchHitOut",
    "SearchOut",
    "record_out",
]


class CreatorOut(BaseModel):
    name: str = Field(description="The name as the source wrote it.")
    role: str = "creator"
    name_zh_hans: str | None = None
    pinyin: str | None = None
    person_id: str | None = None


class TimeSpanOut(BaseModel):
    text: str = Field(description="The date as the source wrote it.")
    earliest: int | None = Field(default=None, description="Earliest year; BCE years < 0.")
    latest: int | None = Field(default=None, description="Latest year; BCE years < 0.")
    label: str | None = None


class ProvenanceOut(BaseModel):
    source: str
    file: str = ""
    position: str = ""


class ImageOut(BaseModel):
    url: str
    caption: str | None = None


class RecordOut(BaseModel):
    """One cultural resource."""

    id: str
    source: str
    source_id: str
    type: str
    labels: dict[str, str] = Field(description="Titles by language: zh-Hans, zh-Hant, en, pinyin.")
    provenance: ProvenanceOut
    body: list[str] = []
    creators: list[CreatorOut] = []
    time: TimeSpanOut | None = None
    dynasty: str | None = None
    subjects: list[str] = []
    description: dict[str, str] = {}
    images: list[ImageOut] = []
    rights: str | None = None
    url: str | None = None
    tags: list[str] = []
    flags: list[str] = []
    notes: list[str] = []
    extra: dict[str, Any] = {}


class RecordPageOut(BaseModel):
    items: list[RecordOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class SearchHitOut(BaseModel):
    id: str
    score: float
    type: str
    title: str
    labels: dict[str, str]
    creators: list[str]
    dynasty: str | None = None
    time: TimeSpanOut | None = None
    source: str
    snippet: str = ""


class FacetValue(BaseModel):
    value: str
    count: int


class SearchOut(BaseModel):
    query: str
    total: int
    offset: int
    limit: int
    hits: list[SearchHitOut]
    facets: dict[str, list[FacetValue]]


class DateOut(BaseModel):
    text: str
    earliest: int
    latest: int
    label: str


class ProblemFieldError(BaseModel):
    """One field that failed validation: where (``query``, ``limit``) and why."""

    loc: list[str]
    msg: str


class ProblemOut(BaseModel):
    """RFC 9457 problem details; the error's context (``field``, ``index``, …) as members."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = Field(description="A URI naming the kind of problem.")
    title: str
    status: int
    detail: str = Field(description="What went wrong this time, and what to change.")
    instance: str = Field(description="The path of the request.")
    errors: list[ProblemFieldError] | None = Field(
        default=None, description="Every field that failed validation (422 only)."
    )


class ReceiptOut(BaseModel):
    """A receipt bundle: the entry, its inclusion proof and the checkpoint that covers it.

    Verify it offline with ``wenyuan verify`` (the format: docs/ledger.md).
    """

    format: str
    origin: str = Field(description="The log's origin line.")
    leaf_index: int
    tree_size: int
    leaf: str = Field(description="The entry's exact leaf bytes, base64.")
    inclusion_proof: list[str] = Field(description="RFC 9162 proof hashes, base64.")
    checkpoint: str = Field(description="The signed checkpoint note, with cosignatures.")
    statement: dict[str, Any]
    signature: str = Field(description="The issuer's Ed25519 signature, base64.")
    issuer: str = Field(description="The issuer's Ed25519 public key, base64.")


class PendingReceiptOut(BaseModel):
    """An entry in the log whose receipt is not ready: no trusted checkpoint covers it yet.

    Sent with 202 and ``Retry-After`` (seconds) by the statement POST and the receipt GET.
    """

    leaf_index: int
    receipt: str = Field(description="Where to fetch the receipt once it is ready.")


class EntryOut(BaseModel):
    """One log entry: its exact leaf bytes and the signed statement they hold."""

    leaf_index: int
    leaf: str = Field(description="The exact leaf bytes, base64.")
    leaf_hash: str = Field(description="RFC 9162 leaf hash, base64.")
    statement_hash: str = Field(description="SHA-256 of the leaf, hex: the statement's id.")
    statement: dict[str, Any]
    signature: str
    issuer: str


class InclusionProofOut(BaseModel):
    leaf_index: int
    tree_size: int
    proof: list[str] = Field(description="RFC 9162 inclusion proof hashes, base64.")


class ConsistencyProofOut(BaseModel):
    old_size: int
    new_size: int
    proof: list[str] = Field(description="RFC 9162 consistency proof hashes, base64.")


def record_out(record: Record) -> RecordOut:
    data = msgspec.to_builtins(record)
    data.pop("search_text", None)
    return RecordOut(id=record.id, **data)


def search_out(page: SearchPage) -> SearchOut:
    hits = []
    for hit in page.hits:
        r = hit.record
        hits.append(
            SearchHitOut(
                id=r.id,
                score=round(hit.score, 4),
                type=r.type,
                title=r.title(),
                labels=r.labels,
                creators=[c.name for c in r.creators],
                dynasty=r.dynasty,
                time=TimeSpanOut(**msgspec.to_builtins(r.time)) if r.time else None,
                source=r.source,
                snippet=" ".join(r.body)[:120],
            )
        )
    facets = {
        name: [FacetValue(value=f.value, count=f.count) for f in values]
        for name, values in page.facets.items()
    }
    return SearchOut(
        query=page.query,
        total=page.total,
        offset=page.offset,
        limit=page.limit,
        hits=hits,
        facets=facets,
    )
