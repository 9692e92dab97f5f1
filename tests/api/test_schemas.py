"""The API's record schemas are the model's: every field of every record type, in order, in
the schema and in the OpenAPI document, and a record's JSON decodes back to the record."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Annotated, Any

import msgspec
import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from wenyuan.api.schemas import (
    CreatorOut,
    DateOut,
    ImageOut,
    ProvenanceOut,
    RecordOut,
    TimeSpanOut,
    model_of,
)
from wenyuan.app import Platform
from wenyuan.asgi import create_app
from wenyuan.resources import Creator, Image, Provenance, Record, TimeSpan
from wenyuan.resources._model import decode_record
from wenyuan.resources.dates import DateSpan

#: (model, its API schema, fields the API adds first, fields it leaves out).
RECORD_TYPES = [
    (Creator, CreatorOut, [], set()),
    (TimeSpan, TimeSpanOut, [], set()),
    (Provenance, ProvenanceOut, [], set()),
    (Image, ImageOut, [], set()),
    (Record, RecordOut, ["id"], {"search_text"}),
    (DateSpan, DateOut, [], set()),
]
IDS = ["creator", "time-span", "provenance", "image", "record", "date-span"]


def _model_fields(source: type) -> list[str]:
    if issubclass(source, msgspec.Struct):
        return [f.name for f in msgspec.structs.fields(source)]
    return [f.name for f in dataclasses.fields(source)]


@pytest.fixture(scope="module")
def document(sample_platform: Platform) -> dict[str, Any]:
    app = create_app(sample_platform.settings, platform=sample_platform)
    with TestClient(app) as client:
        served: dict[str, Any] = client.get("/api/openapi.json").json()
    return served


@pytest.fixture(scope="module")
def client(sample_platform: Platform) -> Iterator[TestClient]:
    app = create_app(sample_platform.settings, platform=sample_platform)
    with TestClient(app) as test_client:
        yield test_client


@pytest.mark.parametrize(("source", "schema", "added", "left_out"), RECORD_TYPES, ids=IDS)
def test_each_schema_has_the_models_fields_in_order(
    source: type, schema: type[BaseModel], added: list[str], left_out: set[str]
) -> None:
    """A schema's fields are its model's, in the model's order, with the API's own first."""
    expected = added + [name for name in _model_fields(source) if name not in left_out]
    assert list(schema.model_fields) == expected


@pytest.mark.parametrize(("source", "schema", "added", "left_out"), RECORD_TYPES, ids=IDS)
def test_the_openapi_document_shows_every_field_of_the_model(
    document: dict[str, Any],
    source: type,
    schema: type[BaseModel],
    added: list[str],
    left_out: set[str],
) -> None:
    """The document's component for each record type lists each of the model's fields."""
    component = document["components"]["schemas"][schema.__name__]
    expected = added + [name for name in _model_fields(source) if name not in left_out]
    assert list(component["properties"]) == expected


class Seal(msgspec.Struct):
    """A seal on a work."""

    text: str


class SealedCreator(Creator):
    """A creator with a field the record model does not have."""

    seal: Annotated[Seal | None, msgspec.Meta(description="The artist's seal.")] = None


def test_a_field_added_to_a_model_is_in_its_schema() -> None:
    """A new field of a struct, its description and a struct inside it reach the schema."""
    seal_out = model_of(Seal)
    schema = model_of(SealedCreator, models={Seal: seal_out})

    assert list(schema.model_fields) == [*_model_fields(Creator), "seal"]
    assert schema.model_fields["seal"].description == "The artist's seal."
    assert schema.model_fields["seal"].annotation == seal_out | None
    assert schema.model_fields["name"].description == "The name as the source wrote it."


def test_a_records_json_decodes_back_to_the_record(
    client: TestClient, sample_platform: Platform
) -> None:
    """GET /api/resources/{id} of every sample record, less its id, decodes to the stored
    record (``search_text`` aside): the API shows the whole record and nothing else."""
    records = sample_platform.list_records(limit=500).records
    assert len(records) == sample_platform.store.count() > 0
    for record in records:
        body = client.get(f"/api/resources/{record.id}").json()
        assert body.pop("id") == record.id
        shown = decode_record(msgspec.json.encode(body))
        assert shown == msgspec.structs.replace(record, search_text=None)
