"""Schemathesis drives the API from its own OpenAPI document: no input gives a server error.

The operations are driven from a plain Hypothesis test (rather than schemathesis' pytest
plugin, which does not load under the pytest version we pin).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from wenyuan.app import Platform
from wenyuan.asgi import create_app


def operations(platform: Platform) -> list[schemathesis.APIOperation]:
    app = create_app(platform.settings, platform=platform)
    app.state.platform = platform
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_every_operation_survives_generated_input(sample_platform: Platform) -> None:
    """Whatever schemathesis sends to any operation, the API answers without a 5xx."""
    found = operations(sample_platform)
    assert {op.path for op in found} >= {"/api/search", "/api/resources/{record_id}"}
    for operation in found:

        @given(case=operation.as_strategy())
        @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
        def run(case: schemathesis.Case) -> None:
            response = case.call()
            case.validate_response(response, checks=(not_a_server_error,))
            assert response.status_code < 500

        run()


@pytest.mark.parametrize("path", ["/api/search", "/api/resources"])
def test_documented_problem_shape(sample_platform: Platform, path: str) -> None:
    """Validation errors come back in the problem+json shape the document promises."""
    app = create_app(sample_platform.settings, platform=sample_platform)
    app.state.platform = sample_platform
    from fastapi.testclient import TestClient

    response = TestClient(app).get(path, params={"limit": "many"})
    assert response.status_code == 422
    assert set(response.json()) >= {"type", "title", "status", "detail"}
