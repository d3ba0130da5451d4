"""Small agents built with the real instrumentation libraries, against the offline fake OpenAI
server, exported with the standard OTLP exporters to a real `runlens serve`; what runlens shows
is read back through GraphQL and held against what the fake server answered.

Each library plays three runs: `tool` (the model calls a tool, then answers), `stream` (the same,
streamed) and `error` (the model refuses the prompt as too long).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from examples.fake_openai_server import FakeOpenAI
from tests.api.conftest import GraphQL
from tests.e2e.conftest import Runlens, play
from tests.e2e.expected import ALL, ANSWER, CALLS, SNAPSHOT, TOOL_OUTPUT, TOOL_REQUEST
from tests.e2e.libraries import OPENAI_AGENTS_STACKED, Library, cases

DETAIL = """query ($id: ID!) { run(id: $id) {
  id status turns actionCount models costUsd costComplete unpricedActions
  agent { name }
  error { type message }
  tokens { input cached output reasoning total }
  events { edges { node {
    __typename kind name status costUsd
    error { type }
    ... on LlmCall {
      model response tokens { input cached output reasoning total }
      toolCalls { id name execution { kind name } }
      context { edges { node { kind isNew } } }
    }
    ... on ToolExecution { toolName output }
  } } }
} }"""

Played = Callable[[Library], dict[str, str]]


@pytest.fixture(scope="session")
def played(fake_openai: FakeOpenAI, runlens: Runlens) -> Played:
    """Library -> its scenarios' run ids; each library's agent script runs once per session."""
    runs: dict[str, dict[str, str]] = {}

    def of(library: Library) -> dict[str, str]:
        if library.name not in runs:
            runs[library.name] = play(
                library.script, fake_openai, runlens, *library.args,
                protocol=library.protocol, **library.env,
            )  # fmt: skip
        return runs[library.name]

    return of


def detail(gql: GraphQL, run_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    run = gql(DETAIL, id=run_id)["run"]
    assert run is not None, run_id
    return run, [edge["node"] for edge in run.pop("events")["edges"]]


def llm_calls(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["kind"] == "LLM_CALL"]


@pytest.mark.parametrize(("library", "scenario"), cases())
def test_one_run_holds_the_agent_and_its_actions(
    library: Library, scenario: str, played: Played, gql: GraphQL
) -> None:
    runs = played(library)
    assert len(set(runs.values())) == 3  # one run per agent invocation
    _, events = detail(gql, runs[scenario])
    assert events[0]["kind"] == "AGENT"
    actions = [e["kind"] for e in events if e["kind"] in ("LLM_CALL", "TOOL_EXECUTION")]
    assert actions == ["LLM_CALL", "TOOL_EXECUTION", "LLM_CALL"]
    assert all(e["status"] == "FINISHED" for e in events)


@pytest.mark.parametrize(("library",), cases(scenarios=False))
def test_agent_name(library: Library, played: Played, gql: GraphQL) -> None:
    for run_id in played(library).values():
        run, _ = detail(gql, run_id)
        assert run["agent"]["name"] == "weather_agent"


@pytest.mark.parametrize(("library", "scenario"), cases())
def test_model(library: Library, scenario: str, played: Played, gql: GraphQL) -> None:
    run, events = detail(gql, played(library)[scenario])
    assert run["models"] == [SNAPSHOT]
    assert [e["model"] for e in llm_calls(events)] == [SNAPSHOT, SNAPSHOT]


@pytest.mark.parametrize(("library", "scenario"), cases())
def test_tokens_by_type(library: Library, scenario: str, played: Played, gql: GraphQL) -> None:
    reported = library.streamed if scenario == "stream" else library.reported
    run, events = detail(gql, played(library)[scenario])
    assert [e["tokens"] for e in llm_calls(events)] == [reported.tokens(u) for u in CALLS]
    assert run["tokens"] == reported.run_tokens()
    assert (run["turns"], run["actionCount"]) == (2, 3)


@pytest.mark.parametrize(("library", "scenario"), cases())
def test_cost(library: Library, scenario: str, played: Played, gql: GraphQL) -> None:
    reported = library.streamed if scenario == "stream" else library.reported
    run, events = detail(gql, played(library)[scenario])
    expected = [reported.cost(usage) for usage in CALLS]
    assert [e["costUsd"] for e in llm_calls(events)] == pytest.approx(expected, rel=1e-9)
    assert run["costUsd"] == pytest.approx(sum(expected), rel=1e-9)
    assert (run["costComplete"], run["unpricedActions"]) == (True, 0)


@pytest.mark.parametrize(("library", "scenario"), cases())
def test_tool_call_links_to_its_execution(
    library: Library, scenario: str, played: Played, gql: GraphQL
) -> None:
    _, events = detail(gql, played(library)[scenario])
    [tool] = [e for e in events if e["kind"] == "TOOL_EXECUTION"]
    asking, answering = llm_calls(events)
    if scenario == "stream" and not library.streamed_output:
        assert asking["toolCalls"] == []  # the library's gap: nothing to link
        return
    [call] = asking["toolCalls"]
    assert call["id"].startswith("call_fake") and call["name"] == "get_weather"
    assert call["execution"] == {"kind": "TOOL_EXECUTION", "name": tool["name"]}
    assert tool["toolName"] == "get_weather" and TOOL_OUTPUT in str(tool["output"])
    assert answering["toolCalls"] == []


@pytest.mark.parametrize(("library", "scenario"), cases())
def test_response_text(library: Library, scenario: str, played: Played, gql: GraphQL) -> None:
    _, events = detail(gql, played(library)[scenario])
    expected = [TOOL_REQUEST, ANSWER]
    if scenario == "stream" and not library.streamed_output:
        expected = [None, None]  # the library's gap
    assert [e["response"] for e in llm_calls(events)] == expected


@pytest.mark.parametrize(("library", "scenario"), cases())
def test_context_marks_only_what_is_new(
    library: Library, scenario: str, played: Played, gql: GraphQL
) -> None:
    _, events = detail(gql, played(library)[scenario])
    asking, answering = (
        [(c["node"]["kind"], c["node"]["isNew"]) for c in e["context"]["edges"]]
        for e in llm_calls(events)
    )
    # Without the first call's output, its tool call is new to the second call's context.
    known_output = scenario != "stream" or library.streamed_output
    assert asking == [("system_prompt", True), ("message", True)]
    assert answering == [
        ("system_prompt", False), ("message", False), ("tool_call", not known_output),
        ("tool_result", True),
    ]  # fmt: skip


@pytest.mark.parametrize(("library",), cases(scenarios=False))
def test_failed_call_is_explained(library: Library, played: Played, gql: GraphQL) -> None:
    _, events = detail(gql, played(library)["error"])
    [failed] = llm_calls(events)
    assert failed["status"] == "FAILED" and failed["error"] == {"type": "CONTEXT_LENGTH"}
    assert failed["tokens"]["total"] == 0


@pytest.mark.parametrize(("library",), cases(scenarios=False))
def test_failed_run_status_and_error_type(library: Library, played: Played, gql: GraphQL) -> None:
    run, _ = detail(gql, played(library)["error"])
    assert run["status"] == "FAILED"
    assert run["error"]["type"] == "CONTEXT_LENGTH"
    assert "maximum context length" in run["error"]["message"]


@pytest.mark.parametrize(("library",), cases(scenarios=False))
def test_failed_call_without_usage_costs_nothing(
    library: Library, played: Played, gql: GraphQL
) -> None:
    run, events = detail(gql, played(library)["error"])
    assert [e["costUsd"] for e in llm_calls(events)] == [0.0]
    assert (run["costUsd"], run["costComplete"], run["unpricedActions"]) == (0.0, True, 0)


@pytest.mark.parametrize("scenario", ["tool", "stream"])
def test_stacked_instrumentation_counts_tokens_and_cost_once(
    scenario: str, played: Played, gql: GraphQL
) -> None:
    """The Agents SDK's `response` spans with openinference-openai's `Response` spans under them."""
    run, _ = detail(gql, played(OPENAI_AGENTS_STACKED)[scenario])
    assert run["tokens"] == ALL.run_tokens()
    assert run["costUsd"] == pytest.approx(sum(ALL.cost(usage) for usage in CALLS), rel=1e-9)


@pytest.mark.parametrize("scenario", ["tool", "stream"])
def test_stacked_instrumentation_counts_turns_once(
    scenario: str, played: Played, gql: GraphQL
) -> None:
    run, _ = detail(gql, played(OPENAI_AGENTS_STACKED)[scenario])
    assert (run["turns"], run["actionCount"]) == (2, 3)
