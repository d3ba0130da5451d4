"""`run(id)` and its events: every event type, tool-call links, context with isNew flags,
terminal output, filters and search, sent through the real SDK and read over HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from runlens.serve import Endpoints
from tests.api.conftest import GraphQL
from tests.api.workload import (
    SYSTEM,
    Recorder,
    assistant,
    chat,
    span_id,
    tool,
    tool_request,
    tool_result,
    user,
)

EVENTS = """
query ($id: ID!, $kinds: [EventKind!], $statuses: [EventStatus!], $outcomes: [EventOutcome!],
       $search: String, $first: Int, $after: String) {
  run(id: $id) {
    id status actionCount turns costUsd costComplete unpricedActions successRate
    tokens { input cached output reasoning total }
    events(kinds: $kinds, statuses: $statuses, outcomes: $outcomes, search: $search,
           first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node {
        __typename id spanId parentId sequence kind name status outcome startedAt endedAt
        durationMs costUsd input output attributes
        error { type message remediation rawType rawMessage }
        ... on LlmCall {
          model provider temperature topP maxTokens stopReason response rawResponse
          tokens { input cached output reasoning total }
          toolCalls { id name arguments execution { spanId toolName callId } }
          context { totalCount edges { node { role kind content isNew } } }
        }
        ... on ToolExecution {
          toolName callId requestedBy { spanId }
          terminalOutput { text stdout stderr exitCode bytes chunkCount truncated }
        }
        ... on Summarization { summary itemsCollapsed tokensCollapsed }
        ... on Message { role content }
      } }
    }
  }
}"""

SUMMARY_TEXT = "Earlier: the user asked for the Paris forecast; it is sunny."


def build_rich_run(recorder: Recorder, agent: str) -> dict[str, str]:
    """root → chat(asks search) → search → chat(answers) → summarize → chat(after summary)
    → other span → blocked shell tool → tool with an unknown name (fails)."""
    question = user("Forecast for Paris?")
    request = tool_request("call_a", "search", {"q": "paris forecast"})
    root = recorder.root(agent)
    llm1 = recorder.child(
        root,
        "chat gpt-4o-mini",
        chat([SYSTEM, question], request, input_tokens=100, cached=40, finish="tool_call"),
    )
    search = recorder.child(
        root,
        "execute_tool search",
        {**tool("search", "call_a", {"q": "paris forecast"}, {"sunny": True}),
         "process.exit.code": 0},
    )  # fmt: skip
    llm2 = recorder.child(
        root,
        "chat gpt-4o-mini",
        chat(
            [SYSTEM, question, request, tool_result("call_a", {"sunny": True})],
            assistant("It is sunny in Paris."),
            input_tokens=200,
            output_tokens=30,
            reasoning=10,
        ),
    )
    summarize = recorder.child(
        root,
        "summarize history",
        {
            "runlens.compaction.strategy": "summarize",
            "runlens.compaction.messages_before": 4,
            "runlens.compaction.messages_after": 1,
            "runlens.compaction.tokens_before": 900,
            "runlens.compaction.tokens_after": 120,
            "gen_ai.output.messages": json.dumps([assistant(SUMMARY_TEXT)]),
        },
    )
    llm3 = recorder.child(
        root,
        "chat local-model",
        chat(
            [SYSTEM, user(SUMMARY_TEXT), user("And tomorrow?")],
            assistant("Rain tomorrow."),
            model="local-model-unpriced",
        ),
    )
    recorder.child(root, "user message", {"gen_ai.output.messages": json.dumps([user("thanks!")])})
    blocked = recorder.child(
        root,
        "execute_tool shell",
        {**tool("shell", "call_b", {"cmd": "rm -rf /"}, None), "runlens.action.outcome": "blocked"},
    )
    missing = recorder.child(
        root,
        "execute_tool frobnicate",
        tool("frobnicate", "call_c", {}, None),
        error="KeyError: Unknown tool name: 'frobnicate'. Available tools: search, shell",
    )
    run = recorder.end(root)
    recorder.send()
    recorder.send_output(search, [("stdout", "fetching…\n"), ("stderr", "warn: slow\n"),
                                  ("stdout", "done\n")])  # fmt: skip
    return {
        "run": run,
        "root": span_id(root),
        "llm1": span_id(llm1),
        "search": span_id(search),
        "llm2": span_id(llm2),
        "summarize": span_id(summarize),
        "llm3": span_id(llm3),
        "blocked": span_id(blocked),
        "missing": span_id(missing),
    }


@pytest.fixture
def rich(recorder: Recorder, agent: str) -> dict[str, str]:
    return build_rich_run(recorder, agent)


def events(gql: GraphQL, run_id: str, **variables: Any) -> dict[str, Any]:
    run = gql(EVENTS, id=run_id, **variables)["run"]
    assert run is not None
    result: dict[str, Any] = run["events"]
    return result


def nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]]


def test_run_totals(gql: GraphQL, rich: dict[str, str]) -> None:
    run = gql(EVENTS, id=rich["run"])["run"]
    assert run["id"] == rich["run"]
    assert run["status"] == "COMPLETED"
    assert run["turns"] == 3
    assert run["actionCount"] == 6  # 3 llm calls + 3 tool executions
    assert run["tokens"] == {
        "input": 400, "cached": 40, "output": 70, "reasoning": 10, "total": 470,
    }  # fmt: skip
    assert run["costComplete"] is False and run["unpricedActions"] == 1
    assert run["successRate"] == pytest.approx(100 * 5 / 6)
    priced = [n["costUsd"] for n in nodes(run["events"]) if n["costUsd"] is not None]
    assert len(priced) == 2
    assert run["costUsd"] == pytest.approx(sum(priced))


def test_events_in_sequence_with_types(gql: GraphQL, rich: dict[str, str]) -> None:
    listed = nodes(events(gql, rich["run"]))
    assert [n["sequence"] for n in listed] == list(range(1, 10))
    assert [n["__typename"] for n in listed] == [
        "GenericEvent", "LlmCall", "ToolExecution", "LlmCall", "Summarization", "LlmCall",
        "GenericEvent", "ToolExecution", "ToolExecution",
    ]  # fmt: skip
    assert [n["spanId"] for n in listed] == [
        rich[k] for k in ("root", "llm1", "search", "llm2", "summarize", "llm3")
    ] + [listed[6]["spanId"], rich["blocked"], rich["missing"]]
    root = listed[0]
    assert root["parentId"] is None and root["kind"] == "AGENT"
    assert root["id"] == "00000000-0000-0000-" + rich["root"][:4] + "-" + rich["root"][4:]
    assert all(n["parentId"] == rich["root"] for n in listed[1:])
    assert all(n["status"] == "FINISHED" for n in listed[:8])
    assert [n["outcome"] for n in listed[6:]] == ["SUCCESS", "BLOCKED", "ERROR"]
    assert listed[8]["status"] == "FAILED"
    assert listed[1]["durationMs"] == pytest.approx(10.0)
    assert listed[1]["startedAt"] < listed[1]["endedAt"]


def test_llm_call_fields_and_tool_links(gql: GraphQL, rich: dict[str, str]) -> None:
    llm1, search, llm2 = nodes(events(gql, rich["run"]))[1:4]
    assert llm1["model"] == "gpt-4o-mini" and llm1["provider"] == "openai"
    assert (llm1["temperature"], llm1["topP"], llm1["maxTokens"]) == (0.2, 0.9, 512)
    assert llm1["stopReason"] == "tool_call"
    assert llm1["tokens"] == {"input": 100, "cached": 40, "output": 20, "reasoning": 0,
                              "total": 120}  # fmt: skip
    assert llm1["costUsd"] > 0
    assert llm1["toolCalls"] == [
        {
            "id": "call_a",
            "name": "search",
            "arguments": {"q": "paris forecast"},
            "execution": {"spanId": rich["search"], "toolName": "search", "callId": "call_a"},
        }
    ]
    assert search["requestedBy"] == {"spanId": rich["llm1"]}
    assert search["input"] == {"q": "paris forecast"} and search["output"] == {"sunny": True}
    assert llm2["response"] == "It is sunny in Paris."
    assert llm2["toolCalls"] == []
    assert llm2["input"][0]["role"] == "system"
    assert llm2["attributes"]["gen_ai.request.model"] == "gpt-4o-mini"
    assert llm2["rawResponse"] is None


def test_context_marks_new_items(gql: GraphQL, rich: dict[str, str]) -> None:
    listed = nodes(events(gql, rich["run"]))
    first, second, third = (listed[i]["context"] for i in (1, 3, 5))
    assert [(c["node"]["kind"], c["node"]["isNew"]) for c in first["edges"]] == [
        ("system_prompt", True), ("message", True),
    ]  # fmt: skip
    items = [(c["node"]["role"], c["node"]["kind"], c["node"]["isNew"]) for c in second["edges"]]
    assert items == [
        ("system", "system_prompt", False),
        ("user", "message", False),
        ("assistant", "tool_call", False),  # the previous call's output
        ("tool", "tool_result", True),
    ]  # fmt: skip
    assert second["edges"][3]["node"]["content"] == '{"sunny": true}'
    assert [(c["node"]["kind"], c["node"]["isNew"]) for c in third["edges"]] == [
        ("system_prompt", False), ("summary", True), ("message", True),
    ]  # fmt: skip
    assert third["edges"][1]["node"]["content"] == SUMMARY_TEXT


def test_context_pagination(gql: GraphQL, rich: dict[str, str]) -> None:
    query = """query ($id: ID!, $after: String) { run(id: $id) { events(kinds: [LLM_CALL]) {
      edges { node { ... on LlmCall { context(first: 3, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { role } } } } } } } } }"""
    second_call = lambda data: data["run"]["events"]["edges"][1]["node"]["context"]  # noqa: E731
    page = second_call(gql(query, id=rich["run"]))
    assert page["pageInfo"]["hasNextPage"] is True and page["totalCount"] == 4
    rest = second_call(gql(query, id=rich["run"], after=page["pageInfo"]["endCursor"]))
    roles = [e["node"]["role"] for e in page["edges"] + rest["edges"]]
    assert roles == ["system", "user", "assistant", "tool"]
    assert rest["pageInfo"] == {"hasNextPage": False, "endCursor": rest["pageInfo"]["endCursor"]}


def test_summarization_and_terminal_output(gql: GraphQL, rich: dict[str, str]) -> None:
    listed = nodes(events(gql, rich["run"]))
    summary, other = listed[4], listed[6]
    assert summary["summary"] == SUMMARY_TEXT
    assert (summary["itemsCollapsed"], summary["tokensCollapsed"]) == (3, 780)
    assert other["kind"] == "OTHER" and other["output"][0]["role"] == "user"
    assert listed[2]["terminalOutput"] == {
        "text": "fetching…\nwarn: slow\ndone\n",
        "stdout": "fetching…\ndone\n",
        "stderr": "warn: slow\n",
        "exitCode": 0,
        "bytes": len("fetching…\nwarn: slow\ndone\n".encode()),
        "chunkCount": 3,
        "truncated": False,
    }
    assert listed[7]["terminalOutput"] is None


def test_failed_tool_error_taxonomy(gql: GraphQL, rich: dict[str, str]) -> None:
    failed = nodes(events(gql, rich["run"], statuses=["FAILED"]))
    assert [n["spanId"] for n in failed] == [rich["missing"]]
    error = failed[0]["error"]
    assert error["type"] == "TOOL_NOT_FOUND"
    assert "frobnicate" in error["message"] and error["remediation"]
    assert error["rawType"] == "KeyError"


def test_event_filters_and_search(gql: GraphQL, rich: dict[str, str]) -> None:
    run = rich["run"]
    kinds = nodes(events(gql, run, kinds=["TOOL_EXECUTION", "SUMMARIZATION"]))
    assert [n["spanId"] for n in kinds] == [rich[k] for k in ("search", "summarize", "blocked",
                                                                "missing")]  # fmt: skip
    blocked = nodes(events(gql, run, outcomes=["BLOCKED"]))
    assert [n["spanId"] for n in blocked] == [rich["blocked"]]
    # Search matches content (input/output text), case-insensitively, and names.
    assert [n["spanId"] for n in nodes(events(gql, run, search="SUNNY IN"))] == [rich["llm2"]]
    by_name = nodes(events(gql, run, search="Frobnicate"))
    assert [n["spanId"] for n in by_name] == [rich["missing"]]
    both = events(gql, run, kinds=["LLM_CALL"], search="rain tomorrow")
    assert [n["spanId"] for n in nodes(both)] == [rich["llm3"]] and both["totalCount"] == 1


def test_events_pagination_without_gaps(gql: GraphQL, rich: dict[str, str]) -> None:
    everything = [n["spanId"] for n in nodes(events(gql, rich["run"]))]
    seen: list[str] = []
    after = None
    while True:
        page = events(gql, rich["run"], first=2, after=after)
        assert page["totalCount"] == 9
        seen += [n["spanId"] for n in nodes(page)]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == everything


def test_unknown_run_is_null_with_not_found(gql: GraphQL, server: Endpoints) -> None:
    body = gql.post('query { run(id: "no-such-run") { id } }')
    assert body["data"] == {"run": None}
    [error] = body["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["path"] == ["run"] and "no-such-run" in error["message"]


LIGHT_EVENTS = """
query ($id: ID!, $outcomes: [EventOutcome!]) {
  run(id: $id) {
    events(outcomes: $outcomes) {
      totalCount
      edges { cursor node {
        __typename id spanId parentId sequence kind name status outcome startedAt endedAt
        durationMs costUsd error { type message }
        ... on LlmCall { model provider temperature topP maxTokens tokens { input total } }
        ... on ToolExecution { toolName callId }
      } }
    }
  }
}"""

CONTENT_EVENTS = LIGHT_EVENTS.replace("costUsd error", "costUsd input output error")
MESSAGE_EVENTS = LIGHT_EVENTS.replace("callId }", "callId } ... on Message { role content }")


@pytest.mark.parametrize("query", [LIGHT_EVENTS, CONTENT_EVENTS, MESSAGE_EVENTS])
@pytest.mark.parametrize("outcomes", [None, ["BLOCKED"]])
def test_narrow_reads_show_what_full_reads_show(
    gql: GraphQL, rich: dict[str, str], query: str, outcomes: list[str] | None
) -> None:
    # Without payload fields only some span columns (and no log records) are read: every
    # field they show is the same as in a selection that reads everything.
    narrow = gql(query, id=rich["run"], outcomes=outcomes)["run"]["events"]
    full = gql(query.replace("cursor node {", "cursor node { attributes"), id=rich["run"],
               outcomes=outcomes)["run"]["events"]  # fmt: skip
    for edge in full["edges"]:
        del edge["node"]["attributes"]
    assert narrow == full
    assert narrow["totalCount"] == (1 if outcomes else 9)
    if query is CONTENT_EVENTS and not outcomes:
        by_span = {n["spanId"]: n for n in nodes(narrow)}
        assert by_span[rich["llm2"]]["output"]
        assert by_span[rich["summarize"]]["output"]


def test_one_event_by_id_or_span_id(gql: GraphQL, rich: dict[str, str]) -> None:
    query = """query ($run: ID!, $id: ID!) { run(id: $run) { event(id: $id) {
      __typename id spanId ... on ToolExecution { toolName terminalOutput { text } } } } }"""
    listed = nodes(events(gql, rich["run"]))
    tool_event = next(n for n in listed if n["spanId"] == rich["search"])
    by_id = gql(query, run=rich["run"], id=tool_event["id"])["run"]["event"]
    assert by_id == {
        "__typename": "ToolExecution", "id": tool_event["id"], "spanId": rich["search"],
        "toolName": "search", "terminalOutput": {"text": "fetching…\nwarn: slow\ndone\n"},
    }  # fmt: skip
    assert gql(query, run=rich["run"], id=rich["search"])["run"]["event"] == by_id
    assert gql(query, run=rich["run"], id="0123456789abcdef")["run"]["event"] is None


PAGE = """query ($id: ID!, $kinds: [EventKind!], $first: Int, $offset: Int, $around: ID,
               $after: String) {
  run(id: $id) { events(kinds: $kinds, first: $first, offset: $offset, around: $around,
                        after: $after) {
    totalCount offset pageInfo { hasNextPage endCursor } edges { node { id spanId } } } } }"""


def test_events_by_offset_and_around_an_event(gql: GraphQL, rich: dict[str, str]) -> None:
    run = rich["run"]
    everything = nodes(events(gql, run))
    page = gql(PAGE, id=run, first=3, offset=4)["run"]["events"]
    assert page["offset"] == 4 and page["totalCount"] == 9
    assert nodes(page) == [{"id": n["id"], "spanId": n["spanId"]} for n in everything[4:7]]
    assert page["pageInfo"]["hasNextPage"]
    # The page holding the 8th event starts at a multiple of `first` (by id or span id).
    for wanted in (everything[7]["id"], everything[7]["spanId"]):
        around = gql(PAGE, id=run, first=3, around=wanted)["run"]["events"]
        assert around["offset"] == 6
        assert [n["spanId"] for n in nodes(around)] == [n["spanId"] for n in everything[6:9]]
        assert not around["pageInfo"]["hasNextPage"]
    # Among tool executions and summarizations (4 of them), the last is on the second page.
    kinds = ["TOOL_EXECUTION", "SUMMARIZATION"]
    tools = gql(PAGE, id=run, kinds=kinds, first=3, around=rich["missing"])
    assert tools["run"]["events"]["offset"] == 3
    assert [n["spanId"] for n in nodes(tools["run"]["events"])] == [rich["missing"]]
    unknown = gql(PAGE, id=run, first=3, around="0123456789abcdef")["run"]["events"]
    assert unknown["offset"] == 0 and len(unknown["edges"]) == 3
    # `offset` counts after `after`.
    first = gql(PAGE, id=run, first=2)["run"]["events"]
    later = gql(PAGE, id=run, first=2, after=first["pageInfo"]["endCursor"], offset=1)
    assert later["run"]["events"]["offset"] == 3
    assert nodes(later["run"]["events"])[0]["spanId"] == everything[3]["spanId"]


def test_bad_offset_and_around_are_bad_requests(gql: GraphQL, rich: dict[str, str]) -> None:
    negative = gql.errors(PAGE, id=rich["run"], offset=-1)
    assert negative[0]["extensions"]["code"] == "BAD_REQUEST"
    assert "offset" in negative[0]["message"]
    both = gql.errors(PAGE, id=rich["run"], offset=2, around=rich["missing"])
    assert both[0]["extensions"]["code"] == "BAD_REQUEST"
    assert "around" in both[0]["message"]
