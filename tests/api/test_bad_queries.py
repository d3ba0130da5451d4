"""Bad requests get a clear message and `extensions.code` from the closed set."""

from __future__ import annotations

import logging

import httpx
import pytest

from runlens.serve import Endpoints
from tests.api.conftest import GraphQL
from tests.api.workload import Recorder

FIRST_RUN = "query ($after: String, $sort: RunSort) { runs(first: 1, after: $after, sort: $sort) " \
    "{ pageInfo { endCursor } edges { node { id } } } }"  # fmt: skip


def test_unknown_field(gql: GraphQL) -> None:
    [error] = gql.errors("{ runs { edges { node { colour } } } }")
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "Cannot query field 'colour' on type 'Run'" in error["message"]


def test_syntax_error(gql: GraphQL, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        [error] = gql.errors("{ runs { ")
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "Syntax Error" in error["message"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize("first", [201, 1000, -1])
def test_page_size_limit(gql: GraphQL, first: int) -> None:
    body = gql.post("query ($f: Int) { runs(first: $f) { edges { cursor } } }", f=first)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "`first` must be between 0 and 200" in error["message"]
    assert body["data"] is None


def test_page_size_limit_on_events(gql: GraphQL) -> None:
    [error] = gql.errors('{ run(id: "x") { events(first: 500) { totalCount } } }')
    assert error["extensions"]["code"] in ("BAD_REQUEST", "NOT_FOUND")


@pytest.mark.parametrize("cursor", ["not-a-cursor", "W10", "!!!"])
def test_bad_cursor(gql: GraphQL, cursor: str) -> None:
    [error] = gql.errors(FIRST_RUN, after=cursor)
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "invalid cursor" in error["message"]


def test_cursor_of_another_sort(gql: GraphQL, recorder: Recorder, agent: str) -> None:
    recorder.end(recorder.root(agent))
    recorder.send()
    page = gql(FIRST_RUN)["runs"]
    [error] = gql.errors(FIRST_RUN, after=page["pageInfo"]["endCursor"],
                         sort={"field": "COST", "direction": "DESC"})  # fmt: skip
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "same sort" in error["message"]


def test_query_depth_limit(gql: GraphQL) -> None:
    deep = "execution { requestedBy { toolCalls { " * 4 + "id" + " } } }" * 4
    query = (
        '{ run(id: "x") { events { edges { node { ... on LlmCall { toolCalls { '
        + deep
        + " } } } } } } }"
    )
    [error] = gql.errors(query)
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "exceeds maximum operation depth" in error["message"]


def test_wrong_argument_type(gql: GraphQL) -> None:
    [error] = gql.errors('{ runs(first: "ten") { edges { cursor } } }')
    assert error["extensions"]["code"] == "BAD_REQUEST"


def test_graphiql_on_get(server: Endpoints) -> None:
    response = httpx.get(f"{server.api_url}/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


def test_healthz_still_served(server: Endpoints) -> None:
    assert httpx.get(f"{server.api_url}/healthz").json()["status"] == "ok"


def test_a_missing_variable_is_a_bad_request(gql: GraphQL) -> None:
    [error] = gql.errors("query ($id: ID!) { run(id: $id) { id } }")
    assert error["extensions"]["code"] == "BAD_REQUEST", error
    assert "'ID!'" in error["message"]


@pytest.mark.parametrize(
    ("query", "what"),
    [
        ("{ runs(first: 1) { } }", "`runs`"),
        ("{ }", "the operation"),
        ("{ runs(first: 1) { ...F } } fragment F on RunConnection { }", "fragment `F`"),
    ],
)
def test_an_empty_selection_set_is_a_bad_request_and_logs_nothing(
    gql: GraphQL, caplog: pytest.LogCaptureFixture, query: str, what: str
) -> None:
    with caplog.at_level(logging.WARNING):
        [error] = gql.errors(query)
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert f"selection set of {what} is empty" in error["message"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
