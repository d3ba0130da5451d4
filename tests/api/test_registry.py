"""The run registry: `runs` filters, sorts and cursor pagination, `agents`, `projectStats`."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.api.conftest import GraphQL
from tests.api.workload import Recorder, assistant, chat, user

RUNS = """
query ($filter: RunFilter, $sort: RunSort, $first: Int, $after: String) {
  runs(filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id name status startedAt endedAt durationMs actionCount costUsd costComplete
      unpricedActions successRate turns spanCount models
      agent { id name runCount }
      tokens { input cached output reasoning total }
      error { type message remediation }
    } }
  }
}"""

DAY_NS = 86_400 * 1_000_000_000


def one_run(
    recorder: Recorder,
    agent: str,
    *,
    input_tokens: int,
    model: str = "gpt-4o-mini",
    error: str | None = None,
    started_ns: int | None = None,
) -> str:
    if started_ns is not None:
        recorder.at(started_ns)
    root = recorder.root(agent)
    recorder.child(
        root,
        f"chat {model}",
        chat([user("hi")], assistant("hello"), model=model, input_tokens=input_tokens),
    )
    return recorder.end(root, error=error)


@pytest.fixture
def fleet(recorder: Recorder, agent: str) -> dict[str, str]:
    """Five runs of one agent: three today (one failed, one unpriced), one 3 days old, one
    40 days old, each with a different cost."""
    now = time.time_ns()
    runs = {
        "old40": one_run(recorder, agent, input_tokens=5000, started_ns=now - 40 * DAY_NS),
        "old3": one_run(recorder, agent, input_tokens=4000, started_ns=now - 3 * DAY_NS),
        "cheap": one_run(recorder, agent, input_tokens=100, started_ns=now - 60_000_000_000),
        "failed": one_run(
            recorder, agent, input_tokens=3000, error="RateLimitError: Error code: 429"
        ),
        "unpriced": one_run(recorder, agent, input_tokens=700, model="local-unpriced"),
    }
    recorder.send()
    return runs


def nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]]


def runs(gql: GraphQL, **variables: Any) -> dict[str, Any]:
    result: dict[str, Any] = gql(RUNS, **variables)["runs"]
    return result


def ids(gql: GraphQL, **variables: Any) -> list[str]:
    return [n["id"] for n in nodes(runs(gql, **variables))]


def test_run_fields(gql: GraphQL, fleet: dict[str, str], agent: str) -> None:
    listed = nodes(runs(gql, filter={"agentId": agent}))
    by_id = {n["id"]: n for n in listed}
    cheap = by_id[fleet["cheap"]]
    assert cheap["status"] == "COMPLETED" and cheap["error"] is None
    assert cheap["agent"] == {"id": agent, "name": agent, "runCount": 5}
    assert cheap["name"] == f"invoke_agent {agent}"
    assert (cheap["turns"], cheap["actionCount"], cheap["spanCount"]) == (1, 1, 2)
    assert cheap["tokens"] == {"input": 100, "cached": 0, "output": 20, "reasoning": 0,
                               "total": 120}  # fmt: skip
    assert cheap["costUsd"] > 0 and cheap["costComplete"] is True
    assert cheap["successRate"] == 100.0
    assert cheap["durationMs"] == pytest.approx(30.0)
    assert cheap["models"] == ["gpt-4o-mini"]
    unpriced = by_id[fleet["unpriced"]]
    assert unpriced["costComplete"] is False and unpriced["unpricedActions"] == 1
    assert unpriced["costUsd"] is None  # never $0 for a model without a price
    failed = by_id[fleet["failed"]]
    assert failed["status"] == "FAILED"
    assert failed["error"]["type"] == "RATE_LIMITED"
    assert "429" in failed["error"]["message"] and failed["error"]["remediation"]


def test_default_order_is_newest_first(gql: GraphQL, fleet: dict[str, str], agent: str) -> None:
    listed = nodes(runs(gql, filter={"agentId": agent}))
    assert [n["id"] for n in listed] == [
        fleet[k] for k in ("unpriced", "failed", "cheap", "old3", "old40")
    ]
    started = [n["startedAt"] for n in listed]
    assert started == sorted(started, reverse=True)


def test_filters(gql: GraphQL, fleet: dict[str, str], agent: str) -> None:
    mine = {"agentId": agent}
    assert ids(gql, filter={**mine, "status": ["FAILED"]}) == [fleet["failed"]]
    assert set(ids(gql, filter={**mine, "status": ["COMPLETED", "FAILED"]})) == set(fleet.values())
    assert ids(gql, filter={**mine, "status": ["RUNNING"]}) == []
    costs = {n["id"]: n["costUsd"] or 0.0 for n in nodes(runs(gql, filter=mine))}
    threshold = costs[fleet["failed"]]
    expected = {run for run, cost in costs.items() if cost >= threshold}
    assert set(ids(gql, filter={**mine, "minCostUsd": threshold})) == expected
    assert expected == {fleet["failed"], fleet["old3"], fleet["old40"]}
    by_window = {
        window: set(ids(gql, filter={**mine, "window": window}))
        for window in ("LAST_24H", "LAST_7D", "LAST_30D", "ALL")
    }
    recent = {fleet["cheap"], fleet["failed"], fleet["unpriced"]}
    assert by_window["LAST_24H"] == recent
    assert by_window["LAST_7D"] == by_window["LAST_30D"] == recent | {fleet["old3"]}
    assert by_window["ALL"] == set(fleet.values())
    # Search: any case, part of the agent name, or of the run id.
    assert set(ids(gql, filter={"search": agent.upper()[3:]})) == set(fleet.values())
    assert ids(gql, filter={"search": fleet["cheap"][:20]}) == [fleet["cheap"]]
    assert ids(gql, filter={"agentId": "no-such-agent"}) == []
    assert runs(gql, filter={**mine, "window": "LAST_24H"})["totalCount"] == 3


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_sort_by_cost(gql: GraphQL, fleet: dict[str, str], agent: str, direction: str) -> None:
    listed = nodes(runs(gql, filter={"agentId": agent}, sort={"field": "COST",
                                                              "direction": direction}))  # fmt: skip
    keys = [(n["costUsd"] or 0.0, n["id"]) for n in listed]  # unpriced (null) sorts as 0
    assert keys == sorted(keys, reverse=direction == "DESC")
    assert len(keys) == 5


@pytest.mark.parametrize(
    "sort",
    [None, {"field": "COST", "direction": "ASC"}, {"field": "COST", "direction": "DESC"},
     {"field": "STARTED_AT", "direction": "ASC"}],
)  # fmt: skip
def test_pagination_without_gaps_or_duplicates(
    gql: GraphQL, fleet: dict[str, str], sort: dict[str, str] | None
) -> None:
    everything = ids(gql, sort=sort, first=200)
    assert len(everything) >= 5
    paged: list[str] = []
    after = None
    pages = 0
    while True:
        page = runs(gql, sort=sort, first=2, after=after)
        pages += 1
        paged += [n["id"] for n in nodes(page)]
        assert [e["cursor"] for e in page["edges"]][-1:] == [page["pageInfo"]["endCursor"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert paged == everything
    assert pages == (len(everything) + 1) // 2


def test_agents_type_to_search(gql: GraphQL, fleet: dict[str, str], agent: str) -> None:
    found = gql("query ($s: String) { agents(search: $s) { id name runCount } }",
                s=agent[-6:].upper())["agents"]  # fmt: skip
    assert found == [{"id": agent, "name": agent, "runCount": 5}]
    assert gql('{ agents(search: "zz-no-such-agent-zz") { id } }')["agents"] == []


def test_project_stats_match_the_run_list(gql: GraphQL, fleet: dict[str, str]) -> None:
    for window in ("ALL", "LAST_24H"):
        stats = gql(
            """query ($w: TimeWindow!) { projectStats(window: $w) {
                 runs spans actions costUsd tokens { input cached output reasoning total } } }""",
            w=window,
        )["projectStats"]
        listed = nodes(runs(gql, filter={"window": window}, first=200))
        assert stats["runs"] == len(listed)
        assert stats["spans"] == sum(n["spanCount"] for n in listed)
        assert stats["actions"] == sum(n["actionCount"] for n in listed)
        assert stats["costUsd"] == pytest.approx(sum(n["costUsd"] or 0.0 for n in listed))
        for key in ("input", "cached", "output", "reasoning", "total"):
            assert stats["tokens"][key] == sum(n["tokens"][key] for n in listed)
