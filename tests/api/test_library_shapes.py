"""Shapes of real instrumentation libraries read back through GraphQL: LangGraph tool calls
linked to their executions and its agent named, streamed tool-call turns whose output carries
an empty text part."""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.trace import Span

from tests.api.conftest import GraphQL
from tests.api.stacks import CALL_ID, AgentsRun, Stack, get_weather, oi, oi_output
from tests.api.workload import Recorder, wait_for_runs

RUN = """query ($id: ID!) { run(id: $id) {
  agent { id name }
  events { edges { node {
    __typename name
    ... on LlmCall {
      response
      toolCalls { id execution { name callId } }
      context { edges { node { role kind isNew } } }
    }
    ... on ToolExecution { callId requestedBy { name } }
  } } }
} }"""
METADATA = {"ls_integration": "langchain_create_agent", "lc_agent_name": "weather_agent"}


def run_of(gql: GraphQL, run_id: str) -> dict[str, Any]:
    run: dict[str, Any] = gql(RUN, id=run_id)["run"]
    return run


def nodes(run: dict[str, Any], typename: str) -> list[dict[str, Any]]:
    found = (edge["node"] for edge in run["events"]["edges"])
    return [node for node in found if node["__typename"] == typename]


def langgraph_run(recorder: Recorder, *, metadata: bool, call_id_in_output: bool) -> str:
    """langchain `create_agent` under openinference-instrumentation-langchain: weather_agent
    (AGENT, root) → model (CHAIN) → ChatOpenAI (LLM); tools (CHAIN) → get_weather (TOOL);
    model (CHAIN) → ChatOpenAI (LLM). The tool span has no `tool.id`; its output is the
    serialized ToolMessage, which carries `tool_call_id`."""
    stack = Stack(recorder)
    meta = {"metadata": json.dumps(METADATA)} if metadata else {}
    root = stack.open("weather_agent", oi("AGENT", **meta))

    def model(tool_call: bool) -> None:
        chain = stack.open("model", oi("CHAIN", **meta), root)
        llm = oi("LLM", **meta, **{"llm.model_name": "gpt-4o-mini"}, **oi_output(tool_call))
        stack.leaf("ChatOpenAI", llm, chain)
        stack.close(chain)

    model(tool_call=True)
    tools = stack.open("tools", oi("CHAIN", **meta), root)
    message = {"type": "tool", "data": {"content": "sunny", "name": "get_weather", "id": None}}
    if call_id_in_output:
        message["data"] |= {"tool_call_id": CALL_ID, "status": "success"}
    stack.leaf("get_weather", get_weather(json.dumps(message)) | meta, tools)
    stack.close(tools)
    model(tool_call=False)
    stack.close(root)
    return format(root.get_span_context().trace_id, "032x")


@pytest.mark.parametrize("call_id_in_output", [True, False], ids=["by-call-id", "by-order"])
def test_langgraph_tool_calls_link_to_their_executions(
    gql: GraphQL, recorder: Recorder, call_id_in_output: bool
) -> None:
    run_id = langgraph_run(recorder, metadata=True, call_id_in_output=call_id_in_output)
    recorder.export(recorder.finished())
    wait_for_runs(recorder.server, [run_id])

    run = run_of(gql, run_id)
    requesting = nodes(run, "LlmCall")[0]
    assert requesting["toolCalls"] == [
        {
            "id": CALL_ID,
            "execution": {
                "name": "get_weather",
                "callId": CALL_ID if call_id_in_output else None,
            },
        }
    ]
    assert nodes(run, "ToolExecution")[0]["requestedBy"] == {"name": "ChatOpenAI"}


@pytest.mark.parametrize("metadata", [True, False], ids=["lc_agent_name", "agent-root-name"])
def test_langgraph_runs_are_named_after_their_agent(
    gql: GraphQL, recorder: Recorder, metadata: bool
) -> None:
    run_id = langgraph_run(recorder, metadata=metadata, call_id_in_output=True)
    recorder.export(recorder.finished())
    wait_for_runs(recorder.server, [run_id])

    assert run_of(gql, run_id)["agent"]["name"] == "weather_agent"


def test_a_named_agent_beats_the_name_of_a_workflow_root(gql: GraphQL, recorder: Recorder) -> None:
    run = AgentsRun(Stack(recorder))  # root "Agent workflow" (AGENT) over agent.name weather_agent
    run.turn("chatcmpl-1", tool_call=False)
    run_id = run.end()
    recorder.export(recorder.finished())
    wait_for_runs(recorder.server, [run_id])

    assert run_of(gql, run_id)["agent"]["name"] == "weather_agent"


# opentelemetry-instrumentation-openai-v2 2.4b0 (and OpenLLMetry 0.62) on a streamed call that
# asks for a tool: an empty text part before the tool call; the next call's input repeats the
# assistant's turn without it.
SYSTEM = {"role": "system", "parts": [{"content": "Use the get_weather tool.", "type": "text"}]}
USER = {"role": "user", "parts": [{"content": "What is the weather in Paris?", "type": "text"}]}
CALL = {"arguments": {"city": "Paris"}, "name": "get_weather", "id": CALL_ID, "type": "tool_call"}
RESULT = {"response": "sunny", "id": CALL_ID, "type": "tool_call_response"}


def streamed_chat(recorder: Recorder, root: Span, inputs: list[Any], output: Any) -> None:
    recorder.child(
        root,
        "chat gpt-4o-mini",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.input.messages": json.dumps(inputs),
            "gen_ai.output.messages": json.dumps([output]),
        },
    )


def test_an_empty_text_part_is_no_text(gql: GraphQL, recorder: Recorder, agent: str) -> None:
    root = recorder.root(agent)
    asked = {"role": "assistant", "parts": [{"content": "", "type": "text"}, CALL]}
    streamed_chat(recorder, root, [SYSTEM, USER], {**asked, "finish_reason": "tool_calls"})
    repeated = {"role": "assistant", "parts": [CALL]}
    answer = {"role": "assistant", "parts": [{"content": "It is sunny.", "type": "text"}]}
    tool_message = {"role": "tool", "parts": [RESULT]}
    streamed_chat(recorder, root, [SYSTEM, USER, repeated, tool_message], answer)
    run_id = recorder.end(root)
    recorder.send()

    first, second = nodes(run_of(gql, run_id), "LlmCall")
    assert first["response"] == 'get_weather({"city": "Paris"})'
    context = [
        (c["node"]["role"], c["node"]["kind"], c["node"]["isNew"])
        for c in second["context"]["edges"]
    ]
    assert context == [
        ("system", "system_prompt", False),
        ("user", "message", False),
        ("assistant", "tool_call", False),  # exactly the previous call's output
        ("tool", "tool_result", True),
    ]
