"""The OpenAPI document, completed so that it states every answer the server really gives.

FastAPI documents a route's success and, for a route with parameters, a 422 whose body it
says is ``application/json``. Our errors are RFC 9457 ``application/problem+json``
(``wenyuan.api.problems``), and some come from outside the routes: a Host header the
server does not answer to (400) on any operation; a body too slow (408), too large (413)
or not JSON (415) on any operation that takes one. ``complete_document`` rewrites the
generated document in one pass:

- every error response (4xx, 5xx) of every operation gets the problem schema under
  ``application/problem+json``, in place of whatever FastAPI put there;
- the errors every operation can give, and those of every operation with a body, are added;
- a route names its own errors with ``problems(404, 409, ...)``;
- an optional parameter's schema loses FastAPI's ``null`` alternative (absent is not null).

Hazard: ``install_document`` replaces ``app.openapi``; the document is built once, at the
first request for it, after every route is included.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from wenyuan.api.problems import PROBLEM_MEDIA_TYPE
from wenyuan.api.schemas import ProblemOut

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["complete_document", "install_document", "problems"]

PROBLEM_SCHEMA_NAME = "Problem"
_PROBLEM_REF = {"$ref": f"#/components/schemas/{PROBLEM_SCHEMA_NAME}"}

_DESCRIPTIONS = {
    400: "Bad request: a Host header this server does not answer to, or a malformed request.",
    404: "Not found.",
    408: "The request body did not arrive in time.",
    409: "Refused in the current state.",
    413: "The request body is larger than allowed.",
    415: "The request body is not `application/json`.",
    422: "Invalid input: a parameter or the body is malformed.",
    500: "The server failed; the error was logged.",
    503: "The database, the index or the disk failed; nothing was half-written.",
}
EVERY_OPERATION = (400, 500)
"""Errors any operation can answer: the Host check runs before routing, and a fault is a 500."""
WITH_BODY = (408, 413, 415, 422)
"""Errors of any operation that takes a request body, from the body guards."""


def problems(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` entries of a route's own errors: problem+json, described.

    ``descriptions`` overrides the default text of a status, keyed ``s404`` and so on.
    """
    return {
        status: {
            "description": descriptions.get(f"s{status}", _DESCRIPTIONS.get(status, "Error.")),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": dict(_PROBLEM_REF)}},
        }
        for status in statuses
    }


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_MEDIA_TYPE: {"schema": dict(_PROBLEM_REF)}}


def _is_error(status: str) -> bool:
    return status[:1] in {"4", "5"}


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    return [
        operation
        for path_item in document.get("paths", {}).values()
        for method, operation in path_item.items()
        if method in methods
    ]


def _uses(document: dict[str, Any], name: str) -> bool:
    """Whether a ``$ref`` anywhere but in the schema ``name`` itself names that schema."""
    ref = f"#/components/schemas/{name}"

    def walk(node: Any) -> bool:
        if isinstance(node, dict):
            return node.get("$ref") == ref or any(walk(v) for v in node.values())
        if isinstance(node, list):
            return any(walk(v) for v in node)
        return False

    schemas = document.get("components", {}).get("schemas", {})
    rest = {k: v for k, v in document.items() if k != "components"}
    return walk(rest) or walk({k: v for k, v in schemas.items() if k != name})


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema without FastAPI's ``null`` alternative for an optional one:
    a parameter in a URL or header is text or absent, never JSON ``null``."""
    alternatives = schema.get("anyOf")
    if not isinstance(alternatives, list):
        return schema
    kept = [a for a in alternatives if a != {"type": "null"}]
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    if len(kept) == 1:
        return {**kept[0], **rest}
    return {**rest, "anyOf": kept}


def complete_document(generated: dict[str, Any]) -> dict[str, Any]:
    """The generated document with every error response documented as problem+json, and
    optional parameters as absent rather than ``null``."""
    document = copy.deepcopy(generated)
    for operation in _operations(document):
        for parameter in operation.get("parameters", []):
            if "schema" in parameter:
                parameter["schema"] = _without_null(parameter["schema"])
        responses: dict[str, Any] = operation.setdefault("responses", {})
        added = EVERY_OPERATION + (WITH_BODY if "requestBody" in operation else ())
        for code in added:
            responses.setdefault(str(code), {"description": _DESCRIPTIONS[code]})
        for status, response in responses.items():
            if _is_error(status):
                if response.get("description") == "Validation Error":  # FastAPI's own 422
                    response["description"] = _DESCRIPTIONS[422]
                response["content"] = _problem_content()
        operation["responses"] = dict(sorted(responses.items()))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem = ProblemOut.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas[PROBLEM_SCHEMA_NAME] = problem
    for name in ("HTTPValidationError", "ValidationError", "ProblemOut"):
        if name in schemas and not _uses(document, name):
            del schemas[name]
    return document


def install_document(app: FastAPI) -> None:
    """Serve ``complete_document`` of the app's generated document at its OpenAPI URL."""
    generate = app.openapi
    completed: list[dict[str, Any]] = []

    def document() -> dict[str, Any]:
        if not completed:
            completed.append(complete_document(generate()))
            app.openapi_schema = completed[0]
        return completed[0]

    app.openapi = document  # type: ignore[method-assign]
