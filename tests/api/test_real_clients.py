"""Runs captured from real instrumentation libraries, posted as OTLP/JSON, read back through
GraphQL: tool-call links, LLM content from log events, errors."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from runlens.serve import Endpoints
from tests.api.conftest import GraphQL
from tests.api.workload import post_json, wait_for_runs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "real-clients"

DETAIL = """query ($id: ID!) { run(id: $id) {
  id status turns actionCount error { type message }
  events { edges { node {
    __typename kind name status
    error { type }
    ... on LlmCall {
      model response stopReason tokens { input cached output reasoning total }
      toolCalls { id name execution { __typename kind name callId requestedBy { name } } }
      context { edges { node { role kind content isNew } } }
    }
    ... on ToolExecution { toolName callId output }
    ... on Summarization { summary }
  } } }
} }"""


class Captures:
    """Posts captures with fresh trace ids (the same mapping for a trace capture and its
    `.logs.json`), so that these runs are this test's own whatever else posted the files."""

    def __init__(self, server: Endpoints) -> None:
        self.server = server
        self.ids: dict[str, str] = {}

    def _fresh(self, trace_id: str) -> str:
        return self.ids.setdefault(trace_id, uuid.uuid4().hex)

    def post(self, relative: str) -> list[str]:
        """Post a capture; for traces, wait until its runs are summarized and return them."""
        path = FIXTURES / relative
        text = path.read_text()
        for trace_id in set(re.findall(r'"traceId": "([0-9a-f]{32})"', text)):
            text = text.replace(trace_id, self._fresh(trace_id))
        if path.name.endswith(".logs.json"):
            # Shifted in time too: tests elsewhere find the original records by timestamp.
            text = re.sub(
                r'"(timeUnixNano|observedTimeUnixNano)": "(\d+)"',
                lambda m: f'"{m[1]}": "{int(m[2]) + 1000}"',
                text,
            )
            post_json(self.server, "/v1/logs", text.encode())
            return []
        post_json(self.server, "/v1/traces", text.encode())
        runs = sorted({self._fresh(t) for t in trace_ids(relative)})
        wait_for_runs(self.server, runs)
        return runs

    def run_of(self, trace_id: str) -> str:
        return self.ids[trace_id]


@pytest.fixture
def captures(server: Endpoints) -> Captures:
    return Captures(server)


def trace_ids(relative: str) -> list[str]:
    document = json.loads((FIXTURES / relative).read_text())
    return sorted(
        {
            span["traceId"]
            for rs in document["resourceSpans"]
            for ss in rs["scopeSpans"]
            for span in ss["spans"]
        }
    )


def detail(gql: GraphQL, run_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    run = gql(DETAIL, id=run_id)["run"]
    assert run is not None
    return run, [edge["node"] for edge in run["events"]["edges"]]


def test_pydantic_ai_tool_call_links_to_its_execution(captures: Captures, gql: GraphQL) -> None:
    [run_id] = captures.post("pydantic-ai/openai_tool_call.json")
    run, events = detail(gql, run_id)
    assert run["status"] == "COMPLETED" and run["turns"] == 2 and run["actionCount"] == 3
    assert [e["__typename"] for e in events] == [
        "GenericEvent", "LlmCall", "ToolExecution", "LlmCall",
    ]  # fmt: skip
    first = events[1]
    [call] = first["toolCalls"]
    assert call["name"] == "get_weather"
    execution = call["execution"]
    assert execution["__typename"] == "ToolExecution" and execution["kind"] == "TOOL_EXECUTION"
    assert execution["name"] == "execute_tool get_weather"
    assert execution["callId"] == call["id"]
    assert execution["requestedBy"] == {"name": first["name"]}
    assert first["tokens"]["total"] > 0
    second = events[3]
    assert second["response"]
    kinds = [(c["node"]["kind"], c["node"]["isNew"]) for c in second["context"]["edges"]]
    assert ("tool_result", True) in kinds
    assert all(not new for kind, new in kinds if kind in ("system_prompt",))


def test_openllmetry_content_comes_from_log_events(captures: Captures, gql: GraphQL) -> None:
    captures.post("openllmetry-openai/events__tool_call.json")
    captures.post("openllmetry-openai/events__tool_call.logs.json")
    _, [asking] = detail(gql, captures.run_of("9f6746569995ce147fe87cff6520db6f"))
    assert [c["node"]["kind"] for c in asking["context"]["edges"]] == ["system_prompt", "message"]
    assert asking["context"]["edges"][1]["node"]["content"] == "What is the weather in Paris?"
    assert [c["name"] for c in asking["toolCalls"]] == ["get_weather"]
    assert asking["toolCalls"][0]["execution"] is None  # the tool ran outside any span
    _, [answering] = detail(gql, captures.run_of("48836992e17f8d078e49be4b1039375e"))
    assert [c["node"]["kind"] for c in answering["context"]["edges"]] == [
        "system_prompt", "message", "tool_call", "tool_result",
    ]  # fmt: skip
    assert "sunny" in answering["response"]
    assert answering["stopReason"] == "stop"


def test_llm_error_is_explained(captures: Captures, gql: GraphQL) -> None:
    [run_id] = captures.post("pydantic-ai/openai_llm_error.json")
    run, events = detail(gql, run_id)
    assert run["status"] == "FAILED"
    assert run["error"]["type"] == "CONTEXT_LENGTH"
    assert "maximum context length" in run["error"]["message"]
    failed_llm = [e for e in events if e["__typename"] == "LlmCall"]
    assert failed_llm and failed_llm[0]["status"] == "FAILED"
    assert failed_llm[0]["error"]["type"] == "CONTEXT_LENGTH"


def test_pydantic_ai_history_summarizer(captures: Captures, gql: GraphQL) -> None:
    summaries = []
    for trace_id in captures.post("pydantic-ai/openai_summarize_history.json"):
        _, events = detail(gql, trace_id)
        summaries += [e for e in events if e["__typename"] == "Summarization"]
    assert summaries and summaries[0]["kind"] == "SUMMARIZATION"


CAPTURED = """query ($id: ID!) { run(id: $id) { events { edges { node {
  ... on LlmCall { contentCaptured response context { totalCount } }
} } } } }"""


@pytest.mark.parametrize(
    ("captures_of", "captured"),
    [
        (["otel-openai-v2/tool_call.json"], False),  # content capture left at its default
        (["otel-openai-v2/span_and_event__tool_call.json"], True),
        (["openllmetry-openai/events__tool_call.json"], False),  # content in the log events…
        (
            [
                "openllmetry-openai/events__tool_call.json",
                "openllmetry-openai/events__tool_call.logs.json",
            ],
            True,
        ),  # …once they arrive
        (["pydantic-ai/openai_tool_call.json"], True),
    ],
)
def test_llm_calls_say_whether_their_content_was_captured(
    captures: Captures, gql: GraphQL, captures_of: list[str], captured: bool
) -> None:
    runs = [run for relative in captures_of for run in captures.post(relative)]
    calls = [
        edge["node"]
        for run_id in runs
        for edge in gql(CAPTURED, id=run_id)["run"]["events"]["edges"]
        if edge["node"]
    ]
    assert len(calls) == 2
    assert [call["contentCaptured"] for call in calls] == [captured, captured]
    if not captured:
        assert all(c["response"] is None and c["context"]["totalCount"] == 0 for c in calls)
