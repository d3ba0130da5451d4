"""compareRuns, simulateReplay and determinismReport over runs sent with the real OTel SDK."""

from __future__ import annotations

import uuid
from typing import Any

from tests.api.conftest import GraphQL
from tests.api.workload import Recorder, assistant, chat, tool, user

COMPARE = """query ($a: ID!, $b: ID!) { compareRuns(originalId: $a, replayId: $b) {
  matchRate divergenceCount originalCostUsd replayCostUsd savingsUsd repriced
  firstDivergence { step verdict key { name parentPath occurrence } diff { path original replay } }
  actions { verdict original { name } } } }"""
SIMULATE = """query ($id: ID!) { simulateReplay(runId: $id) {
  available unavailableReason servedCount reexecutedCount originalCostUsd replayCostUsd
  savingsUsd actions { action { name } served reason } } }"""
REPORT = """query ($id: ID!) { determinismReport(runId: $id) {
  score band replaysCompared repeatedRunsCompared
  issues { actionName type severity evidenceSource description code { filepath lineno }
           recommendation { before after } } } }"""


def _run(recorder: Recorder, agent: str, ticket: str, replay_of: str = "") -> str:
    extra: dict[str, Any] = {"runlens.replay.of": replay_of} if replay_of else {}
    served = {"runlens.action.outcome": "replayed"} if replay_of else {}
    root = recorder.root(agent, **extra)
    recorder.child(
        root, "chat gpt-4o-mini", {**chat([user("book")], assistant("ok")), **extra, **served}
    )
    code = {"code.filepath": "agent/tools.py", "code.lineno": 42, "code.function": "book"}
    recorder.child(
        root,
        "execute_tool book",
        {**tool("book", "c1", {"place": "a"}, {"ticket": ticket}), **extra, **code},
    )
    pay = {**tool("pay", "c2", {"amount": 3}, {"ok": True}), "runlens.replay.policy": "never"}
    recorder.child(root, "execute_tool pay", {**pay, **extra})
    return recorder.end(root)


def test_compare_simulate_and_report_end_to_end(
    gql: GraphQL, recorder: Recorder, agent: str
) -> None:
    original = _run(recorder, agent, str(uuid.uuid4()))
    recorder.send()
    replay = _run(recorder, agent, str(uuid.uuid4()), replay_of=original)
    recorder.send()

    compared = gql(COMPARE, a=original, b=replay)["compareRuns"]
    assert compared["divergenceCount"] == 1
    assert compared["matchRate"] == 2 / 3
    first = compared["firstDivergence"]
    assert first["verdict"] == "OUTPUT_MISMATCH" and first["step"] == 1
    assert first["key"] == {
        "name": "execute_tool book",
        "parentPath": [f"invoke_agent {agent}"],
        "occurrence": 0,
    }
    assert first["diff"][0]["path"] == "$.ticket"
    assert compared["originalCostUsd"] > 0 and compared["replayCostUsd"] == 0
    assert compared["savingsUsd"] == compared["originalCostUsd"] and not compared["repriced"]

    simulated = gql(SIMULATE, id=original)["simulateReplay"]
    assert simulated["available"] and simulated["unavailableReason"] is None
    assert (simulated["servedCount"], simulated["reexecutedCount"]) == (2, 1)
    assert simulated["actions"][2] == {
        "action": {"name": "execute_tool pay"},
        "served": False,
        "reason": "POLICY_NEVER",
    }
    assert (
        simulated["replayCostUsd"] == 0 and simulated["savingsUsd"] == simulated["originalCostUsd"]
    )

    report = gql(REPORT, id=original)["determinismReport"]
    assert report["replaysCompared"] == [replay]
    issue = report["issues"][0]
    assert (issue["actionName"], issue["type"], issue["severity"], issue["evidenceSource"]) == (
        "execute_tool book", "RANDOM_VALUE", "CRITICAL", "REPLAY",
    )  # fmt: skip
    assert issue["code"] == {"filepath": "agent/tools.py", "lineno": 42}
    assert "uuid" in issue["recommendation"]["after"]
    assert report["score"] < 70 and report["band"] in {"LOW", "HIGHLY_NON_DETERMINISTIC"}


def test_unknown_runs_are_not_found(gql: GraphQL) -> None:
    for query, variables in [
        (COMPARE, {"a": "nope", "b": "nope2"}),
        (SIMULATE, {"id": "nope"}),
        (REPORT, {"id": "nope"}),
    ]:
        errors = gql.errors(query, **variables)
        assert errors[0]["extensions"]["code"] == "NOT_FOUND"
