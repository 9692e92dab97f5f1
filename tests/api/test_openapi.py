"""The OpenAPI document states every answer, and problem responses keep the headers they need."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient

from wenyuan.app import Platform
from wenyuan.asgi import create_app

PROBLEM = "application/problem+json"
PROBLEM_CONTENT = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}


@pytest.fixture(scope="module")
def app(sample_platform: Platform) -> FastAPI:
    app = create_app(sample_platform.settings, platform=sample_platform)

    def refuse(where: str) -> None:
        raise HTTPException(
            status_code=429, detail="slow down", headers={"Retry-After": "7", "X-Where": where}
        )

    app.add_api_route("/api/test-refusal", lambda: refuse("api"), include_in_schema=False)
    app.add_api_route("/test-refusal", lambda: refuse("web"), include_in_schema=False)
    return app


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_every_error_response_is_a_problem(document: dict[str, Any]) -> None:
    """Every 4xx and 5xx of every operation is documented as application/problem+json with
    the problem schema, and every operation documents 400 (Host) and 500."""
    operations = dict(_operations(document))
    assert len(operations) >= 14
    for label, operation in operations.items():
        responses = operation["responses"]
        assert {"400", "500"} <= set(responses), label
        for status, response in responses.items():
            if status[0] in "45":
                assert response["content"] == PROBLEM_CONTENT, (label, status)
                assert response["description"], (label, status)
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "instance"}
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_every_answer_of_the_ledger_has_its_media_type(document: dict[str, Any]) -> None:
    """The statement POST documents 201 and 202 with their bodies and the body guards'
    408, 413 and 415; the receipt GET documents 200, 202 (not ready) and 404; both 202s
    carry the pending body and Retry-After; the checkpoint is text, tiles are bytes with
    304 and 404."""
    paths = document["paths"]
    post = paths["/api/ledger/statements"]["post"]["responses"]
    assert {"201", "202", "408", "409", "413", "415", "422"} <= set(post)
    assert post["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/ReceiptOut")
    receipt = paths["/api/ledger/entries/{index}/receipt"]["get"]["responses"]
    assert {"200", "202", "404"} <= set(receipt)
    assert receipt["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/ReceiptOut")
    assert receipt["404"]["content"] == PROBLEM_CONTENT
    for pending in (post["202"], receipt["202"]):
        assert pending["content"]["application/json"]["schema"]["$ref"].endswith(
            "/PendingReceiptOut"
        )
        assert pending["headers"]["Retry-After"]["required"] is True
        assert pending["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 1}
    checkpoint = paths["/ledger/checkpoint"]["get"]["responses"]
    assert list(checkpoint["200"]["content"]) == ["text/plain; charset=utf-8"]
    assert "404" in checkpoint
    tile = paths["/ledger/tile/{path}"]["get"]["responses"]
    assert list(tile["200"]["content"]) == ["application/octet-stream"]
    assert "content" not in tile["304"]
    assert {"ETag", "Cache-Control"} <= set(tile["304"]["headers"])
    assert tile["404"]["content"] == PROBLEM_CONTENT


def test_optional_parameters_are_absent_not_null(document: dict[str, Any]) -> None:
    """No parameter schema offers JSON null: a parameter is text or is left out."""
    for label, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            assert {"type": "null"} not in parameter["schema"].get("anyOf", []), label
            assert parameter["schema"].get("type") != "null", label


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/search", "GET"),
        ("GET", "/api/ledger/statements", "POST"),
        ("PUT", "/ledger/checkpoint", "GET"),
        ("DELETE", "/", "GET"),
    ],
    ids=["api", "api-post-only", "tlog", "web"],
)
def test_a_405_names_the_allowed_methods(
    client: TestClient, method: str, path: str, allowed: str
) -> None:
    """A method a path does not take is a 405 whose Allow header lists those it does."""
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    if path != "/":
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["status"] == 405


@pytest.mark.parametrize("where", ["api", "web"])
def test_every_header_of_an_http_exception_is_kept(client: TestClient, where: str) -> None:
    """The error response carries every header the HTTPException named, API or web page."""
    path = "/api/test-refusal" if where == "api" else "/test-refusal"
    response = client.get(path)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.headers["x-where"] == where
