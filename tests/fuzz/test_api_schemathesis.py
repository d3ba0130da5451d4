"""Schemathesis against the HTTP API of a real server on the session's store: the OpenAPI
operations (`/healthz`, `/export/runs`, `/control/…`) and the GraphQL schema. No 5xx, and every
response conforms to the schema. `RUNLENS_SCHEMATHESIS_EXAMPLES` raises the examples per
operation (default 15)."""

from __future__ import annotations

import json
import os
import secrets
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks

from runlens.serve import Endpoints
from tests.conftest import running_server

EXAMPLES = int(os.environ.get("RUNLENS_SCHEMATHESIS_EXAMPLES", "15"))
BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
CAPTURE = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "real-clients"
    / "otel-openai-v2"
    / "span_and_event__tool_call.json"
)


def fresh_ids(capture: str) -> str:
    """The capture with new trace and span ids (consistently): other tests count its spans."""
    document = json.loads(capture)
    ids = {
        value
        for group in document["resourceSpans"]
        for scope in group["scopeSpans"]
        for span in scope["spans"]
        for key, value in span.items()
        if key in ("traceId", "spanId", "parentSpanId") and value
    }
    for old in ids:
        capture = capture.replace(f'"{old}"', f'"{secrets.token_hex(len(old) // 2)}"')
    return capture


@pytest.fixture(scope="module")
def api(chdb_dsn: str) -> Iterator[Endpoints]:
    """A server with one stored run, so reads have something to return."""
    project = f"test-{uuid.uuid4().hex[:12]}"
    with running_server(chdb_dsn, project=project, auth="disabled") as endpoints:
        stored = httpx.post(
            f"{endpoints.otlp_http_url}/v1/traces",
            content=fresh_ids(CAPTURE.read_text()).encode(),
            headers={"content-type": "application/json"},
            timeout=30,
        )
        assert stored.status_code == 200, stored.text
        yield endpoints


@pytest.fixture(scope="module")
def openapi_schema(api: Endpoints) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{api.api_url}/openapi.json")


@pytest.fixture(scope="module")
def graphql_schema(api: Endpoints) -> schemathesis.BaseSchema:
    return schemathesis.graphql.from_url(f"{api.api_url}/graphql")


def exercise(
    schema: schemathesis.BaseSchema,
    mode: GenerationMode,
    call: Callable[[schemathesis.Case], None],
) -> Counter[str]:
    """Every operation of the schema with up to `EXAMPLES` generated cases each, each judged
    by `call`. Returns the calls made per operation."""
    calls: Counter[str] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label.split(" ")[-1].startswith("/graphql"):
            continue  # GraphQL has a schema of its own (below), not this OpenAPI entry
        try:
            cases(operation, mode, call, calls)()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # nothing invalid to send (no parameters)
    return calls


def short_polls(case: schemathesis.Case) -> schemathesis.Case:
    """A long poll asked to wait (up to 30 s) waits 0.1 s: the answer is the same."""
    wait = (case.query or {}).get("wait")
    if isinstance(wait, int | float) and not isinstance(wait, bool) and not wait <= 0.1:
        case.query["wait"] = 0.1
    return case


def cases(
    operation: Any,
    mode: GenerationMode,
    call: Callable[[schemathesis.Case], None],
    calls: Counter[str],
) -> Callable[[], None]:
    """The bounded hypothesis test of one operation."""

    @BOUNDED
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case) -> None:
        calls[operation.label] += 1
        call(case)

    return check


def validated(case: schemathesis.Case) -> None:
    """No 5xx; status code, content type, headers and body as the schema documents."""
    short_polls(case).call_and_validate(timeout=30)


def rejected(case: schemathesis.Case) -> None:
    """Invalid input gets a 4xx (never a 2xx or 5xx). Which 4xx is not checked against the
    schema: FastAPI answers a body that is not JSON with a 400 it does not document."""
    short_polls(case).call_and_validate(
        timeout=30, excluded_checks=[checks.status_code_conformance]
    )


CLIENT_ERRORS = {"BAD_REQUEST", "NOT_FOUND"}  # docs/api.md: what a bad or unknown input earns


def graphql_validated(case: schemathesis.Case) -> None:
    """A GraphQL answer with the documented error codes: runlens reports a query about an
    unknown id as a NOT_FOUND error, which schemathesis' own server-error check would count
    as a failure, so that check is replaced by one on the codes (INTERNAL or a 5xx fail)."""
    response = case.call(timeout=30)
    assert response.status_code < 500, response.text
    body = response.json()
    assert isinstance(body, dict) and "data" in body, response.text
    for error in body.get("errors") or ():
        assert error.get("extensions", {}).get("code") in CLIENT_ERRORS, error
    case.validate_response(
        response,
        excluded_checks=[checks.not_a_server_error, checks.positive_data_acceptance],
    )


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_openapi_operations(openapi_schema: schemathesis.BaseSchema, mode: GenerationMode) -> None:
    positive = mode is GenerationMode.POSITIVE
    calls = exercise(openapi_schema, mode, validated if positive else rejected)
    assert any(label.startswith("GET /control/runs/") for label in calls), calls
    assert any(label.startswith("POST /control/commands/") for label in calls), calls
    if positive:  # neither takes parameters: nothing invalid to send them
        assert calls["GET /healthz"] and calls["GET /export/runs"], calls
    print(f"schemathesis OpenAPI {mode.value}: {sum(calls.values())} calls", dict(calls))


def test_graphql_operations(graphql_schema: schemathesis.BaseSchema) -> None:
    calls = exercise(graphql_schema, GenerationMode.POSITIVE, graphql_validated)
    assert any(label.startswith("Query.") for label in calls), calls
    assert any(label.startswith("Mutation.") for label in calls), calls
    print(f"schemathesis GraphQL: {sum(calls.values())} calls over {len(calls)} fields")
