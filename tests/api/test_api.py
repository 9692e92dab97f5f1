"""The JSON API: search, records with cursors, dates, problem+json errors, operations."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from wenyuan.app import Platform
from wenyuan.asgi import create_app

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def client(sample_platform: Platform) -> Iterator[TestClient]:
    """An API client over the sample collection (lifespan run, no network)."""
    app = create_app(sample_platform.settings, platform=sample_platform)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_search_finds_jingyesi_with_facets(client: TestClient) -> None:
    """GET /api/search returns ranked hits with labels and facet counts."""
    body = client.get("/api/search", params={"q": "床前明月光", "limit": 3, "facets": "all"}).json()
    assert body["hits"][0]["labels"]["zh-Hans"] == "静夜思"
    assert body["hits"][0]["creators"] == ["李白"]
    assert {"type", "dynasty", "creator", "source"} <= set(body["facets"])
    assert body["total"] >= 1


def test_facets_are_counted_only_when_asked(client: TestClient) -> None:
    """Without `facets`, no counts; with named facets, just those; unknown names are 422."""
    assert client.get("/api/search", params={"q": "月"}).json()["facets"] == {}
    some = client.get("/api/search", params=[("q", "月"), ("facets", "type"), ("facets", "source")])
    assert set(some.json()["facets"]) == {"type", "source"}
    assert client.get("/api/search", params={"q": "月", "facets": "colour"}).status_code == 422


def test_search_filters_repeat_and_combine(client: TestClient) -> None:
    """Repeated filter parameters are alternatives; different filters all apply."""
    both = client.get(
        "/api/search", params=[("q", "月"), ("type", "poem"), ("type", "ci"), ("limit", 100)]
    ).json()
    assert {h["type"] for h in both["hits"]} <= {"poem", "ci"}
    narrowed = client.get(
        "/api/search", params=[("q", "月"), ("type", "ci"), ("dynasty", "宋")]
    ).json()
    assert all(h["type"] == "ci" and h["dynasty"] == "宋" for h in narrowed["hits"])


def test_record_json_has_every_label_and_provenance(client: TestClient) -> None:
    """GET /api/resources/{id} gives labels in each script, creators, time and provenance."""
    hit = client.get("/api/search", params={"q": "静夜思", "limit": 1}).json()["hits"][0]
    record = client.get(f"/api/resources/{hit['id']}").json()
    assert record["id"] == hit["id"]
    assert record["labels"]["zh-Hant"] == "靜夜思"
    assert record["labels"]["pinyin"] == "jing ye si"
    assert record["provenance"]["source"] == "sample"
    assert record["body"][0].startswith("床前明月光")
    assert "search_text" not in record


def test_list_follows_cursors_to_the_end(client: TestClient, sample_platform: Platform) -> None:
    """Following next_cursor lists every record once."""
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 100}
    while True:
        body = client.get("/api/resources", params=params).json()
        seen.extend(item["id"] for item in body["items"])
        if not body["next_cursor"]:
            break
        params["cursor"] = body["next_cursor"]
    assert len(seen) == len(set(seen)) == sample_platform.store.count()


@pytest.mark.parametrize(
    ("path", "params", "status", "slug"),
    [
        ("/api/resources/r-00000000000000000000", {}, 404, "not-found"),
        ("/api/resources", {"cursor": "not-a-cursor"}, 422, "invalid-input"),
        ("/api/search", {"limit": 0}, 422, "invalid-input"),
        ("/api/search", {"q": "月" * 501}, 422, "invalid-input"),
        ("/api/search", {"year_from": 1500, "year_to": 1400}, 422, "invalid-input"),
        ("/api/dates/parse", {"text": "not a date at all"}, 422, "invalid-input"),
        ("/api/nowhere", {}, 404, "not-found"),
    ],
    ids=[
        "unknown-id",
        "bad-cursor",
        "zero-limit",
        "long-query",
        "reversed-years",
        "bad-date",
        "unknown-route",
    ],
)
def test_errors_are_problem_details(
    client: TestClient, path: str, params: dict[str, object], status: int, slug: str
) -> None:
    """Every API error is RFC 9457 problem+json with type, title, status and detail."""
    response = client.get(path, params=params)
    assert response.status_code == status
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["type"].endswith(slug)
    assert body["title"]
    assert body["detail"]


def test_dates_parse(client: TestClient) -> None:
    """GET /api/dates/parse reads reign eras into years."""
    body = client.get("/api/dates/parse", params={"text": "乾隆五十年"}).json()
    assert (body["earliest"], body["latest"]) == (1785, 1785)


def test_operations_endpoints(client: TestClient) -> None:
    """/healthz, /readyz and /metrics answer; metrics count API requests."""
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "index": True, "index_current": True}
    assert ready.json()["index_lag"] == 0
    client.get("/api/search", params={"q": "月"})
    assert client.get("/static/site.css").status_code == 200  # a mounted app, not a function
    metrics = client.get("/metrics").text
    assert 'handler="starlette.staticfiles.StaticFiles"' in metrics
    assert (
        'wenyuan_http_requests_total{handler="api.routers.search.search",method="GET",status="200"}'
        in metrics
    )


def test_openapi_document_lists_the_routes(client: TestClient) -> None:
    """The OpenAPI document is served at /api/openapi.json and lists every API route."""
    spec = client.get("/api/openapi.json").json()
    assert {
        "/api/search",
        "/api/resources",
        "/api/resources/{record_id}",
        "/api/dates/parse",
    } <= set(spec["paths"])
