"""Each bound of the use cases' input has one source: the settings (the largest search page)
or ``wenyuan.app.limits``. The platform applies it, and the API, its OpenAPI document, the
search page and the CLI state and apply the same bound."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import TEST_HOSTS
from wenyuan.app import Platform
from wenyuan.app.limits import (
    MAX_FACET_LIMIT,
    MAX_FACET_VALUES,
    MAX_INGEST_RUNS,
    MAX_OFFSET,
    MAX_RECORDS_LIMIT,
    MAX_SEARCH_QUERY,
    MAX_YEAR,
)
from wenyuan.asgi import create_app
from wenyuan.cli import app as cli
from wenyuan.core.config import Settings, get_settings
from wenyuan.core.errors import InvalidInput
from wenyuan.resources.dates import MAX_LENGTH as MAX_DATE_LENGTH
from wenyuan.resources.sources.sample import sample_path

PROBLEM = "application/problem+json"
DEFAULT_SEARCH_LIMIT = Settings.model_fields["max_search_limit"].default


@pytest.fixture(scope="module")
def wide_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The sample collection on a platform whose searches may ask for 300 hits."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("wide"), allowed_hosts=TEST_HOSTS, max_search_limit=300
    )
    platform = Platform(settings)
    platform.load_sample()
    yield platform
    platform.close()


@pytest.fixture(scope="module")
def wide_client(wide_platform: Platform) -> Iterator[TestClient]:
    """The whole application over ``wide_platform``."""
    app = create_app(wide_platform.settings, platform=wide_platform)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def default_client(sample_platform: Platform) -> Iterator[TestClient]:
    """The whole application over the sample, with the default settings' bounds."""
    app = create_app(sample_platform.settings, platform=sample_platform)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _parameter(document: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    """The schema of query parameter ``name`` of ``GET path`` in an OpenAPI document."""
    for parameter in document["paths"][path]["get"]["parameters"]:
        if parameter["name"] == name:
            schema: dict[str, Any] = parameter["schema"]
            return schema
    raise AssertionError(f"GET {path} has no parameter {name}")


def test_the_api_takes_the_search_limit_the_settings_allow(wide_client: TestClient) -> None:
    """With WENYUAN_MAX_SEARCH_LIMIT=300, GET /api/search answers 300 hits."""
    response = wide_client.get("/api/search", params={"q": "", "limit": 300})

    assert response.status_code == 200
    body = response.json()
    assert body["limit"] == 300
    assert len(body["hits"]) == 300 < body["total"]


def test_a_search_limit_past_the_setting_is_a_problem_naming_it(wide_client: TestClient) -> None:
    """limit=301 over a maximum of 300 is a 422 problem whose detail names 300."""
    response = wide_client.get("/api/search", params={"q": "", "limit": 301})

    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["errors"][0]["loc"] == ["query", "limit"]
    assert "300" in problem["detail"]
    assert problem["detail"].startswith("query.limit")


def test_the_openapi_document_states_the_settings_search_limit(
    wide_client: TestClient, default_client: TestClient
) -> None:
    """Each application's OpenAPI document states its own settings' largest search limit."""
    wide = wide_client.get("/api/openapi.json").json()
    default = default_client.get("/api/openapi.json").json()

    assert _parameter(wide, "/api/search", "limit")["maximum"] == 300
    assert _parameter(default, "/api/search", "limit")["maximum"] == 100
    assert default_client.get("/api/search", params={"limit": 101}).status_code == 422


@pytest.mark.parametrize(
    ("path", "name", "member", "bound"),
    [
        ("/api/search", "q", "maxLength", MAX_SEARCH_QUERY),
        ("/api/search", "offset", "maximum", MAX_OFFSET),
        ("/api/search", "type", "maxItems", MAX_FACET_VALUES),
        ("/api/search", "creator", "maxItems", MAX_FACET_VALUES),
        ("/api/search", "year_from", "minimum", -MAX_YEAR),
        ("/api/search", "year_to", "maximum", MAX_YEAR),
        ("/api/resources", "limit", "maximum", MAX_RECORDS_LIMIT),
        ("/api/dates/parse", "text", "maxLength", MAX_DATE_LENGTH),
    ],
    ids=[
        "query-length",
        "offset",
        "type-values",
        "creator-values",
        "earliest-year",
        "latest-year",
        "records-page",
        "date-length",
    ],
)
def test_the_openapi_document_states_each_bound_the_platform_applies(
    default_client: TestClient, path: str, name: str, member: str, bound: int
) -> None:
    """Each bounded parameter of the document carries the bound of ``wenyuan.app.limits``
    (or the date parser's), and the API refuses a value one past it."""
    document = default_client.get("/api/openapi.json").json()
    assert _parameter(document, path, name)[member] == bound

    past = bound + 1 if member != "minimum" else bound - 1
    value: Any = {
        "maxLength": "月" * past,
        "maxItems": [f"v{i}" for i in range(past)],
    }.get(member, past)
    response = default_client.get(path, params={name: value})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", name]


@pytest.mark.parametrize(
    ("call", "largest", "argument"),
    [
        (lambda p, n: p.search("", limit=n), DEFAULT_SEARCH_LIMIT, "limit"),
        (lambda p, n: p.search("", offset=n), MAX_OFFSET, "offset"),
        (lambda p, n: p.search("月" * n), MAX_SEARCH_QUERY, "longer than"),
        (lambda p, n: p.search("", facets=("type",), facet_limit=n), MAX_FACET_LIMIT, "facet"),
        (lambda p, n: p.list_records(limit=n), MAX_RECORDS_LIMIT, "limit"),
        (lambda p, n: p.ingest_runs(n), MAX_INGEST_RUNS, "limit"),
    ],
    ids=["search-limit", "offset", "query-length", "facet-limit", "records-page", "runs"],
)
def test_the_platform_accepts_each_bound_and_refuses_one_more(
    sample_platform: Platform,
    call: Callable[[Platform, int], object],
    largest: int,
    argument: str,
) -> None:
    """The platform takes the largest value ``wenyuan.app.limits`` (or the settings) allow
    and refuses the next with ``InvalidInput`` naming the argument."""
    call(sample_platform, largest)
    with pytest.raises(InvalidInput, match=argument):
        call(sample_platform, largest + 1)


def test_the_search_page_keeps_within_a_small_search_limit(tmp_path: Path) -> None:
    """With WENYUAN_MAX_SEARCH_LIMIT below the page's 20, the search page lists that many
    hits and links the next page by that many, instead of failing."""
    settings = Settings(data_dir=tmp_path / "data", allowed_hosts=TEST_HOSTS, max_search_limit=5)
    platform = Platform(settings)
    try:
        platform.load_sample()
        with TestClient(create_app(settings, platform=platform)) as client:
            response = client.get("/", params={"q": "月", "lang": "en"})
    finally:
        platform.close()

    assert response.status_code == 200
    assert response.text.count('class="hit"') == 5
    assert "offset=5" in response.text


runner = CliRunner()


@pytest.fixture
def loaded_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data folder with the sample loaded by `wenyuan ingest sample`, searches of up to
    300 hits allowed by WENYUAN_MAX_SEARCH_LIMIT."""
    monkeypatch.setenv("WENYUAN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WENYUAN_MAX_SEARCH_LIMIT", "300")
    get_settings.cache_clear()
    loaded = runner.invoke(cli, ["ingest", "sample", str(sample_path())])
    assert loaded.exit_code == 0, loaded.output
    yield tmp_path
    get_settings.cache_clear()


def test_the_cli_takes_the_search_limit_the_settings_allow(loaded_data_dir: Path) -> None:
    """`wenyuan search --limit` goes up to WENYUAN_MAX_SEARCH_LIMIT, and one more is a usage
    error naming the setting."""
    found = runner.invoke(cli, ["search", "", "--limit", "300", "--json"])
    refused = runner.invoke(cli, ["search", "", "--limit", "301"])

    assert found.exit_code == 0, found.output
    assert len(json.loads(found.stdout)["hits"]) == 300
    assert refused.exit_code == 2
    assert "300" in refused.output
    assert "WENYUAN_MAX_SEARCH_LIMIT" in refused.output
