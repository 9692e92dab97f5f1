"""Schemathesis drives the API from its own OpenAPI document, with every check it has.

Every operation of /api/openapi.json gets schemathesis' coverage cases (boundary values,
missing and malformed parameters, methods the document does not list) and Hypothesis-drawn
cases that fit the schema and that do not; each response goes through all of schemathesis'
checks: no server error, a documented status, media type, headers and body, schema-valid
input accepted and invalid input refused, 405 with ``Allow`` for an undocumented method.
The statement POST also gets validly signed statements (``tests.strategies``), so its 201
and 202 answers are checked as well as its refusals.

The operations are driven from plain Hypothesis tests (rather than schemathesis' pytest
plugin, which does not load under the pytest version we pin).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.generation import GenerationMode

from tests.conftest import TEST_HOSTS
from tests.strategies import asset_histories
from wenyuan.app import Platform
from wenyuan.asgi import create_app
from wenyuan.core.config import Settings
from wenyuan.core.errors import InvalidInput
from wenyuan.resources.dates import parse_date

EXAMPLES = 60  # per operation and generation mode, beside the coverage cases
HISTORIES = 12  # asset histories sent to the statement POST, each up to five statements

load_all_checks()
ALL_CHECKS = [CHECKS.get_one(name) for name in CHECKS.get_all_names()]
POSITIVE_DATA_ACCEPTANCE = CHECKS.get_one("positive_data_acceptance")


def _is_not_a_date(case: schemathesis.Case) -> bool:
    try:
        parse_date(str((case.query or {}).get("text", "")))
    except InvalidInput:
        return True
    return False


def _query_ints(case: schemathesis.Case, first: str, second: str) -> tuple[int, int] | None:
    query = case.query or {}
    try:
        return int(query[first]), int(query[second])
    except (KeyError, TypeError, ValueError):
        return None


def _in_order(case: schemathesis.Case, low: str, high: str) -> bool:
    """Whether the two query parameters are integers with ``low`` <= ``high``."""
    values = _query_ints(case, low, high)
    return values is None or values[0] <= values[1]


def _problem_names(response: Any, member: str) -> bool:
    try:
        return member in response.json()
    except ValueError:
        return False


@dataclass(frozen=True)
class Refusal:
    """Schema-valid input the server rightly refuses with a 422, because what makes it
    wrong is something JSON Schema cannot say: ``positive_data_acceptance`` (which expects
    any schema-valid request to be accepted) is skipped for exactly these cases."""

    operation: str
    applies: Callable[[schemathesis.Case, Any], bool]
    why: str


REFUSALS = [
    Refusal(
        "GET /api/dates/parse",
        lambda case, _: _is_not_a_date(case),
        "a schema cannot list the strings that are dates; the real parser decides here",
    ),
    Refusal(
        "GET /api/resources",
        lambda _, response: _problem_names(response, "cursor"),
        "a cursor is opaque: only one this server issued is valid (the problem names it)",
    ),
    Refusal(
        "GET /api/search",
        lambda case, _: not _in_order(case, "year_from", "year_to"),
        "year_from after year_to: JSON Schema cannot relate two parameters",
    ),
    Refusal(
        "GET /api/ledger/proofs/inclusion",
        lambda case, _: (
            _query_ints(case, "index", "size") is not None and _in_order(case, "size", "index")
        ),
        "an index outside the tree of `size` entries: JSON Schema cannot relate two parameters",
    ),
    Refusal(
        "GET /api/ledger/proofs/consistency",
        lambda case, _: not _in_order(case, "old", "new"),
        "old after new: JSON Schema cannot relate two parameters",
    ),
    Refusal(
        "POST /api/ledger/statements",
        lambda _, __: True,  # only generated bodies: signed ones are checked in full below
        "a schema cannot express a valid Ed25519 signature over the statement",
    ),
]


def excluded_checks(case: schemathesis.Case, response: Any) -> list[Any]:
    """The checks not to run on this case: ``positive_data_acceptance`` for a listed refusal."""
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if response.status_code != 422 or not positive:
        return []
    for refusal in REFUSALS:
        if refusal.operation == case.operation.label and refusal.applies(case, response):
            return [POSITIVE_DATA_ACCEPTANCE]
    return []


@pytest.fixture(scope="module")
def ledger_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform (SQLite) with the sample collection and the sample ledger entries, whose
    checkpoints are published every 50 ms; this module's tests append to its ledger."""
    data_dir = tmp_path_factory.mktemp("schemathesis-platform")
    platform = Platform(
        Settings(data_dir=Path(data_dir), ledger_checkpoint_interval=0.05, allowed_hosts=TEST_HOSTS)
    )
    platform.load_sample()
    platform.ledger.open()
    platform.load_ledger_sample()
    yield platform
    platform.close()


def app_for(platform: Platform) -> FastAPI:
    app = create_app(platform.settings, platform=platform)
    app.state.platform = platform
    return app


def operations(app: FastAPI) -> list[schemathesis.APIOperation]:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


class Run:
    """Calls cases, checks every response with every check, and counts what happened."""

    def __init__(self) -> None:
        self.cases = 0
        self.statuses: Counter[tuple[str, int]] = Counter()

    def check(self, case: schemathesis.Case, **call: Any) -> Any:
        response = case.call(**call)
        self.cases += 1
        self.statuses[(case.operation.label, response.status_code)] += 1
        case.validate_response(
            response, checks=ALL_CHECKS, excluded_checks=excluded_checks(case, response)
        )
        return response


def drive(operation: schemathesis.APIOperation, run: Run) -> None:
    """Coverage cases, then drawn positive and negative cases, of one operation."""
    schema = operation.schema
    config = schema.config.generation_for(operation=operation, phase="coverage")
    for case in schema.iter_coverage_cases(
        operation, generation_modes=list(GenerationMode), generation_config=config
    ):
        run.check(case)
    for mode in GenerationMode:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def generated(case: schemathesis.Case) -> None:
            run.check(case)

        try:
            generated()
        except Unsatisfiable:
            # An operation without parameters or body (GET /api/ledger) has no invalid input.
            assert mode is GenerationMode.NEGATIVE
            assert not list(operation.iter_parameters())
            assert not operation.body.items


def test_every_operation_conforms_to_its_document(ledger_platform: Platform) -> None:
    """Whatever schemathesis sends to any operation, every check passes on the answer."""
    run = Run()
    found = operations(app_for(ledger_platform))
    assert {op.label for op in found} >= {
        "GET /api/search",
        "POST /api/ledger/statements",
        "GET /ledger/checkpoint",
        "GET /ledger/tile/{path}",
    }
    for operation in found:
        drive(operation, run)
    seen = {status for (_, status) in run.statuses}
    assert {200, 404, 405, 422} <= seen, run.statuses


def test_signed_statements_are_accepted_as_documented(ledger_platform: Platform) -> None:
    """Validly signed statements (register, transfer, grant, revoke) sent to the statement
    POST are appended, 201 or 202, and every check passes on those answers too."""
    run = Run()
    histories: list[int] = []
    app = app_for(ledger_platform)
    (post,) = [op for op in operations(app) if op.label == "POST /api/ledger/statements"]
    size = ledger_platform.ledger.status().size

    @given(leaves=asset_histories(), data=st.data())
    @settings(
        max_examples=HISTORIES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def send(leaves: list[bytes], data: st.DataObject) -> None:
        histories.append(len(leaves))
        for leaf in leaves:
            case = data.draw(post.as_strategy(body=json.loads(leaf)))
            # Alternate histories wait for the receipt (201) or not at all (202), so both
            # documented answers are checked whatever the drawn query holds.
            case.query = {**(case.query or {}), "wait": 5 if len(histories) % 2 else 0}
            response = run.check(case, data=leaf)  # the exact bytes, as a client signs them
            assert response.status_code in {201, 202}, response.text

    send()
    sent = sum(run.statuses.values())
    assert ledger_platform.ledger.status().size == size + sent
    assert {status for (_, status) in run.statuses} == {201, 202}, run.statuses


@pytest.mark.parametrize("path", ["/api/search", "/api/resources"])
def test_documented_problem_shape(sample_platform: Platform, path: str) -> None:
    """Validation errors come back in the problem+json shape the document promises."""
    response = TestClient(app_for(sample_platform)).get(path, params={"limit": "many"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert set(response.json()) >= {"type", "title", "status", "detail", "instance", "errors"}
