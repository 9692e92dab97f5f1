"""Response bodies of the JSON API (pydantic models, so the OpenAPI document is exact).

The record's parts (``RecordOut``, ``CreatorOut``, ``TimeSpanOut``, ``ProvenanceOut``,
``ImageOut``) and ``DateOut`` are built from the model they show (``wenyuan.resources._model``'s
msgspec structs, the dates parser's ``DateSpan``) by ``model_of``, field by field, with the
model's field descriptions: a field added to the model is in the API and its OpenAPI
document at once. The other bodies are shapes of the API's own.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import types
import typing
from typing import TYPE_CHECKING, Any, NamedTuple, Union

import msgspec
from pydantic import BaseModel, ConfigDict, Field, create_model

from wenyuan.app import SearchPage
from wenyuan.resources import Creator, Image, Provenance, Record, TimeSpan
from wenyuan.resources.dates import DateSpan

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


class _SourceField(NamedTuple):
    name: str
    type: Any
    default: Any  # ``...`` when required
    default_factory: Any  # None without one


def _source_fields(source: type) -> list[_SourceField]:
    """The fields of a msgspec struct or a dataclass, with their resolved types."""
    if issubclass(source, msgspec.Struct):
        return [
            _SourceField(
                f.name,
                f.type,
                ... if f.default is msgspec.NODEFAULT else f.default,
                None if f.default_factory is msgspec.NODEFAULT else f.default_factory,
            )
            for f in msgspec.structs.fields(source)
        ]
    if not dataclasses.is_dataclass(source):
        raise TypeError(f"{source!r} is neither a msgspec struct nor a dataclass")
    hints = typing.get_type_hints(source, include_extras=True)
    return [
        _SourceField(
            f.name,
            hints[f.name],
            ... if f.default is dataclasses.MISSING else f.default,
            None if f.default_factory is dataclasses.MISSING else f.default_factory,
        )
        for f in dataclasses.fields(source)
    ]


def _api_type(annotation: Any, models: dict[type, type[BaseModel]]) -> Any:
    """``annotation`` with every struct that has an API model replaced by that model."""
    if isinstance(annotation, type) and annotation in models:
        return models[annotation]
    origin = typing.get_origin(annotation)
    if origin is None:
        return annotation
    args = tuple(_api_type(arg, models) for arg in typing.get_args(annotation))
    if origin in (types.UnionType, Union):
        return functools.reduce(operator.or_, args)
    return origin[args]


def model_of(
    source: type,
    *,
    name: str | None = None,
    models: dict[type, type[BaseModel]] | None = None,
    leading: dict[str, tuple[Any, Any]] | None = None,
    leave_out: frozenset[str] = frozenset(),
) -> type[BaseModel]:
    """A pydantic model with the fields of ``source`` (a msgspec struct or a dataclass).

    Each field keeps its name, order, type and default, and its description when the
    source gives one with ``Annotated[..., msgspec.Meta(description=...)]``. A struct
    inside a type is replaced by its model in ``models``. ``leading`` adds fields of the
    API's own before the source's (``{"id": (str, ...)}``); ``leave_out`` names source
    fields the API does not show. The model is named ``name`` (default: the source's name
    + ``Out``) and described by the first paragraph of the source's docstring.

    >>> from wenyuan.resources import Provenance
    >>> ProvenanceOut = model_of(Provenance)
    >>> list(ProvenanceOut.model_fields)
    ['source', 'file', 'position']
    >>> ProvenanceOut(source="tate").model_dump_json()
    '{"source":"tate","file":"","position":""}'
    """
    fields: dict[str, Any] = dict(leading or {})
    for field in _source_fields(source):
        if field.name in leave_out:
            continue
        annotation, description = field.type, None
        if typing.get_origin(annotation) is typing.Annotated:
            annotation, *extras = typing.get_args(annotation)
            metas = [m for m in extras if isinstance(m, msgspec.Meta)]
            description = next((m.description for m in metas if m.description), None)
        # A made default (``[]``) is written out, so the document shows it; pydantic copies
        # a mutable default for each instance.
        default = field.default if field.default_factory is None else field.default_factory()
        info = Field(default, description=description)
        fields[field.name] = (_api_type(annotation, models or {}), info)
    doc = (source.__doc__ or "").split("\n\n")[0].strip() or None
    model: type[BaseModel] = create_model(
        name or f"{source.__name__}Out", __doc__=doc, __module__=__name__, **fields
    )
    return model


if TYPE_CHECKING:
    # The derived models' fields exist at run time only; a type checker sees pydantic models.
    CreatorOut = BaseModel
    TimeSpanOut = BaseModel
    ProvenanceOut = BaseModel
    ImageOut = BaseModel
    RecordOut = BaseModel
    DateOut = BaseModel
else:
    CreatorOut = model_of(Creator)
    TimeSpanOut = model_of(TimeSpan)
    ProvenanceOut = model_of(Provenance)
    ImageOut = model_of(Image)
    RecordOut = model_of(
        Record,
        models={
            Creator: CreatorOut,
            TimeSpan: TimeSpanOut,
            Provenance: ProvenanceOut,
            Image: ImageOut,
        },
        leading={"id": (str, Field(description="Derived from source and source_id; stable."))},
        leave_out=frozenset({"search_text"}),  # the index's repair of the body, not data
    )
    DateOut = model_of(DateSpan, name="DateOut")


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
