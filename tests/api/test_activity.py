"""`actions(filter, first, after)`: the activity ledger across runs, newest first, filtered,
paged without duplicates or gaps."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import GraphQL
from tests.api.workload import Recorder, assistant, chat, tool, user

ACTIONS = """query ($filter: ActionFilter, $first: Int, $after: String) {
  actions(filter: $filter, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id spanId runId name kind outcome durationMs costUsd model toolName
                   error { type message } run { id agent { id } } } }
  }
}"""


def _record(recorder: Recorder, agent: str) -> list[str]:
    """Two runs of `agent`: the first searches (ok) then fails to fetch; the second chats."""
    first = recorder.root(agent)
    recorder.child(first, "execute_tool search", tool("search", "c1", {"q": "paris"}, ["hotel"]))
    recorder.child(
        first, "execute_tool fetch", tool("fetch", "c2", {"url": "x"}, None), error="Timeout: slow"
    )
    recorder.end(first)
    second = recorder.root(agent)
    recorder.child(second, "chat gpt-4o-mini", chat([user("weather?")], assistant("sunny")))
    recorder.end(second)
    recorder.send()
    return [format(r.get_span_context().trace_id, "032x") for r in (first, second)]


def _nodes(gql: GraphQL, **filter: Any) -> list[dict[str, Any]]:
    data = gql(ACTIONS, filter=filter, first=50)
    return [edge["node"] for edge in data["actions"]["edges"]]


def test_actions_of_every_run_newest_first(gql: GraphQL, recorder: Recorder, agent: str) -> None:
    first, second = _record(recorder, agent)
    nodes = _nodes(gql, agentId=agent)
    assert [n["name"] for n in nodes] == [
        "chat gpt-4o-mini",
        "execute_tool fetch",
        "execute_tool search",
    ]
    assert [n["runId"] for n in nodes] == [second, first, first]
    assert {n["run"]["agent"]["id"] for n in nodes} == {agent}
    chat_node, fetch, search = nodes
    assert chat_node["kind"] == "LLM_CALL" and chat_node["model"] == "gpt-4o-mini"
    assert chat_node["costUsd"] is not None and chat_node["costUsd"] > 0
    assert fetch["outcome"] == "ERROR" and fetch["error"]["type"] == "TIMEOUT"
    assert search["outcome"] == "SUCCESS" and search["toolName"] == "search"


def test_filters(gql: GraphQL, recorder: Recorder, agent: str) -> None:
    _record(recorder, agent)
    names = lambda **f: [n["name"] for n in _nodes(gql, agentId=agent, **f)]  # noqa: E731
    assert names(outcomes=["ERROR"]) == ["execute_tool fetch"]
    assert names(outcomes=["SUCCESS"]) == ["chat gpt-4o-mini", "execute_tool search"]
    assert names(outcomes=["BLOCKED"]) == []
    assert names(kinds=["LLM_CALL"]) == ["chat gpt-4o-mini"]
    assert names(search="PARIS") == ["execute_tool search"]  # in the input, any case
    assert names(search="sunny") == ["chat gpt-4o-mini"]  # in the output
    assert names(window="LAST_24H") == names()
    assert _nodes(gql, agentId=f"{agent}-other") == []


def test_paging_has_no_duplicates_or_gaps(gql: GraphQL, recorder: Recorder, agent: str) -> None:
    for _ in range(3):
        _record(recorder, agent)
    everything = [n["id"] + n["runId"] for n in _nodes(gql, agentId=agent)]
    assert len(everything) == 9
    paged: list[str] = []
    after = None
    while True:
        page = gql(ACTIONS, filter={"agentId": agent}, first=2, after=after)["actions"]
        paged += [e["node"]["id"] + e["node"]["runId"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert paged == everything


def test_bad_requests(gql: GraphQL) -> None:
    errors = gql.errors(ACTIONS, filter={"kinds": ["AGENT"]})
    assert errors[0]["extensions"]["code"] == "BAD_REQUEST"
    runs = gql("{ runs(first: 1) { pageInfo { endCursor } } }")["runs"]["pageInfo"]["endCursor"]
    if runs:
        errors = gql.errors(ACTIONS, after=runs)
        assert errors[0]["extensions"]["code"] == "BAD_REQUEST"
    errors = gql.errors(ACTIONS, first=100_000)
    assert errors[0]["extensions"]["code"] == "BAD_REQUEST"
