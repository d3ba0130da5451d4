"""What a run counts, read through GraphQL: leaf LLM calls only (stacked instrumentation, in
any arrival order), the run status when the root ends OK over a failed agent, and $0 for a call
that used no tokens."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan

from runlens.semconv.pricing import PriceTable
from runlens.semconv.records import TokenUsage
from tests.api.conftest import GraphQL
from tests.api.stacks import INPUT_TOKENS, OUTPUT_TOKENS, AgentsRun, Stack, TraceloopRun
from tests.api.workload import Recorder, wait_for_runs
from tests.eventually import eventually

RUN = """query ($id: ID!) { run(id: $id) {
  status spanCount actionCount turns costUsd costComplete unpricedActions
  agent { name } error { type message }
  tokens { input cached output total }
  events(kinds: [LLM_CALL]) { totalCount edges { node {
    name ... on LlmCall {
      counted toolCalls { execution { name } } context { edges { node { role isNew } } }
    } } } }
} }"""
COSTS = """query ($id: ID!) {
  compareRuns(originalId: $id, replayId: $id) { originalCostUsd }
  simulateReplay(runId: $id) { originalCostUsd }
}"""
INTERCEPTS = """{ criticalIntercepts(first: 200) { edges { node {
  run { id } reason { type } } } } }"""
CONTEXT_ERROR = "This model's maximum context length is 128000 tokens."


def call_cost() -> float:
    cost = PriceTable.bundled().cost("gpt-4o-mini", TokenUsage(INPUT_TOKENS, output=OUTPUT_TOKENS))
    assert cost is not None
    return cost


def run_of(gql: GraphQL, run_id: str) -> dict[str, Any]:
    run: dict[str, Any] = gql(RUN, id=run_id)["run"]
    return run


def intercepted(gql: GraphQL) -> set[str]:
    edges = gql(INTERCEPTS)["criticalIntercepts"]["edges"]
    return {edge["node"]["run"]["id"] for edge in edges}


STACKS = pytest.mark.parametrize(
    "stack", [AgentsRun, TraceloopRun], ids=["openinference", "traceloop"]
)


def agents_run(recorder: Recorder, stack: type[AgentsRun | TraceloopRun] = AgentsRun) -> str:
    """Two model round trips, the first asking for the tool."""
    run = stack(Stack(recorder))
    run.turn("chatcmpl-1", tool_call=True)
    run.turn("chatcmpl-2", tool_call=False)
    return run.end()


def assert_counted_once(run: dict[str, Any]) -> None:
    assert run["status"] == "COMPLETED"
    assert run["events"]["totalCount"] == 4  # every LLM span is shown
    calls = [edge["node"] for edge in run["events"]["edges"]]
    assert [call["counted"] for call in calls] == [False, True, False, True]  # wrapper, leaf
    # Both ask for the tool; its execution is linked to the call the run counts.
    wrapper, leaf = (call["toolCalls"][0]["execution"] for call in calls[:2])
    assert wrapper is None and leaf is not None
    assert run["turns"] == 2
    assert run["tokens"]["input"] == 2 * INPUT_TOKENS
    assert run["tokens"]["output"] == 2 * OUTPUT_TOKENS
    assert run["costUsd"] == pytest.approx(2 * call_cost())
    assert run["actionCount"] == 3  # two counted calls and the tool
    assert run["agent"]["name"] == "weather_agent"
    # The second round trip's calls are compared with the first's leaf, not with each other:
    # only the tool's result is new to the model.
    second_turn = [edge["node"] for edge in run["events"]["edges"]][2:]
    for call in second_turn:
        items = [(c["node"]["role"], c["node"]["isNew"]) for c in call["context"]["edges"]]
        assert items == [("system", False), ("user", False), ("assistant", False), ("tool", True)]


@STACKS
def test_stacked_instrumentation_counts_each_call_once(
    gql: GraphQL, recorder: Recorder, stack: type[AgentsRun | TraceloopRun]
) -> None:
    run_id = agents_run(recorder, stack)
    recorder.export(recorder.finished())
    wait_for_runs(recorder.server, [run_id])

    run = run_of(gql, run_id)
    assert_counted_once(run)
    costs = gql(COSTS, id=run_id)
    assert costs["compareRuns"]["originalCostUsd"] == pytest.approx(run["costUsd"])
    assert costs["simulateReplay"]["originalCostUsd"] == pytest.approx(run["costUsd"])


def _inner(span: ReadableSpan) -> bool:
    return span.name == "ChatCompletion"


@pytest.mark.parametrize("inner_first", [True, False], ids=["inner-first", "wrappers-first"])
def test_stacked_calls_count_once_whatever_the_arrival_order(
    gql: GraphQL, recorder: Recorder, inner_first: bool
) -> None:
    run_id = agents_run(recorder)
    spans = recorder.finished()
    first = [s for s in spans if _inner(s) == inner_first]
    second = [s for s in spans if _inner(s) != inner_first]

    recorder.export(first)
    eventually(lambda: run_of(gql, run_id))
    recorder.export(second)

    def complete() -> dict[str, Any]:
        run = run_of(gql, run_id)
        assert run["spanCount"] == len(spans)
        return run

    assert_counted_once(eventually(complete))


@STACKS
def test_a_failed_agent_under_a_root_that_ends_ok_fails_the_run(
    gql: GraphQL, recorder: Recorder, stack: type[AgentsRun | TraceloopRun]
) -> None:
    run = stack(Stack(recorder))
    run.failed_turn(CONTEXT_ERROR)
    run_id = run.end(agent_error=CONTEXT_ERROR)
    recorder.export(recorder.finished())
    wait_for_runs(recorder.server, [run_id])

    found = eventually(lambda: run_of(gql, run_id))
    assert found["status"] == "FAILED"
    assert CONTEXT_ERROR in found["error"]["message"]
    assert run_id in intercepted(gql)
    # The refused call used no tokens: it cost $0, and nothing is left unpriced.
    assert found["turns"] == 1
    assert found["costUsd"] == 0.0
    assert found["costComplete"] is True
    assert found["unpricedActions"] == 0


@STACKS
def test_a_tool_error_the_agent_recovers_from_leaves_the_run_completed(
    gql: GraphQL, recorder: Recorder, stack: type[AgentsRun | TraceloopRun]
) -> None:
    run = stack(Stack(recorder))
    run.turn("chatcmpl-1", tool_call=True, tool_error="ValueError: weather service down")
    run.turn("chatcmpl-2", tool_call=False)
    run_id = run.end()
    recorder.export(recorder.finished())
    wait_for_runs(recorder.server, [run_id])

    found = run_of(gql, run_id)
    assert found["status"] == "COMPLETED"
    assert run_id not in intercepted(gql)


def test_a_call_without_tokens_costs_nothing_whatever_its_model(
    gql: GraphQL, recorder: Recorder, agent: str
) -> None:
    root = recorder.root(agent)
    recorder.child(
        root,
        "chat house-model-7",
        {"gen_ai.operation.name": "chat", "gen_ai.request.model": "house-model-7"},
        error="BadRequestError: context length exceeded",
    )
    empty = recorder.end(root, error="BadRequestError: context length exceeded")
    root = recorder.root(agent)
    recorder.child(
        root,
        "chat house-model-7",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "house-model-7",
            "gen_ai.usage.input_tokens": 10,
            "gen_ai.usage.output_tokens": 5,
        },
    )
    used = recorder.end(root)
    recorder.send()

    free = run_of(gql, empty)
    assert (free["costUsd"], free["costComplete"], free["unpricedActions"]) == (0.0, True, 0)
    unknown = run_of(gql, used)
    assert (unknown["costUsd"], unknown["costComplete"], unknown["unpricedActions"]) == (
        None,
        False,
        1,
    )
