"""`criticalIntercepts`: failed runs, runs over budget (setting or span attribute), runs with
a high share of blocked actions; newest first, paginated."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import AGENT_BUDGET_USD, BUDGET_AGENT, GraphQL
from tests.api.workload import Recorder, assistant, chat, tool, user

INTERCEPTS = """query ($first: Int, $after: String) {
  criticalIntercepts(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      run { id status startedAt costUsd agent { id } }
      reason { type message } reasons { type message } blockedActions budgetUsd
    } }
  }
}"""


def actions_run(recorder: Recorder, agent: str, blocked: int, allowed: int, **root: Any) -> str:
    span = recorder.root(agent, **root)
    recorder.child(span, "chat gpt-4o-mini", chat([user("go")], assistant("ok")))
    for i in range(blocked):
        blocked_call = {**tool("shell", f"b{i}", {}, None), "runlens.action.outcome": "blocked"}
        recorder.child(span, "execute_tool shell", blocked_call)
    for i in range(allowed):
        recorder.child(span, "execute_tool read", tool("read", f"a{i}", {}, "text"))
    return recorder.end(span)


def all_intercepts(gql: GraphQL) -> list[dict[str, Any]]:
    edges = gql(INTERCEPTS, first=200)["criticalIntercepts"]["edges"]
    return [edge["node"] for edge in edges]


def test_reasons(gql: GraphQL, recorder: Recorder, agent: str) -> None:
    failed_root = recorder.root(agent)
    recorder.child(failed_root, "chat gpt-4o-mini", chat([user("go")], assistant("ok")))
    failed = recorder.end(failed_root, error="TimeoutError: upstream timed out after 30 s")
    over_setting = actions_run(recorder, BUDGET_AGENT, blocked=0, allowed=1)
    over_attribute = actions_run(recorder, agent, 0, 1, **{"runlens.budget.usd": 0.000001})
    under_attribute = actions_run(recorder, agent, 0, 1, **{"runlens.budget.usd": 100.0})
    intervened = actions_run(recorder, agent, blocked=2, allowed=1)  # 2 of 4 actions
    tolerated = actions_run(recorder, agent, blocked=1, allowed=4)  # 1 of 6 actions
    healthy = actions_run(recorder, agent, blocked=0, allowed=2)
    recorder.send()

    found = {node["run"]["id"]: node for node in all_intercepts(gql)}
    assert under_attribute not in found and tolerated not in found and healthy not in found

    node = found[failed]
    assert node["reason"]["type"] == "FAILED"
    assert "timed out" in node["reason"]["message"]
    assert node["run"]["status"] == "FAILED"

    node = found[over_setting]
    assert node["reason"]["type"] == "OVER_BUDGET"
    assert node["budgetUsd"] == AGENT_BUDGET_USD
    assert node["run"]["costUsd"] > AGENT_BUDGET_USD
    assert "over its budget" in node["reason"]["message"]

    node = found[over_attribute]
    assert [r["type"] for r in node["reasons"]] == ["OVER_BUDGET"]
    assert node["budgetUsd"] == 0.000001

    node = found[intervened]
    assert node["reason"]["type"] == "HIGH_INTERVENTION_RATE"
    assert node["blockedActions"] == 2
    assert node["reason"]["message"].startswith("2 of 4 actions were blocked (50%")


def test_newest_first_and_paginated(gql: GraphQL, recorder: Recorder, agent: str) -> None:
    for _ in range(3):
        root = recorder.root(agent)
        recorder.end(root, error="RuntimeError: boom")
    recorder.send()
    everything = all_intercepts(gql)
    keys = [(n["run"]["startedAt"], n["run"]["id"]) for n in everything]
    assert keys == sorted(keys, reverse=True)
    assert len(everything) >= 3
    paged: list[str] = []
    after = None
    while True:
        page = gql(INTERCEPTS, first=2, after=after)["criticalIntercepts"]
        paged += [edge["node"]["run"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert paged == [n["run"]["id"] for n in everything]
