"""The Run Timeline in a real browser on a run sent through the OTel SDK: filters by type and
status, follow mode (`F`), arrows, deep links, a requested tool call opening its execution, the
context items new since the previous call highlighted, terminal output and exit code."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor

from runlens.sdk.output import SpanOutput
from runlens.serve import Endpoints
from tests.eventually import eventually
from tests.web.agents import Agent, trace_id
from tests.web.conftest import Watched, until

SYSTEM = {"role": "system", "parts": [{"type": "text", "content": "You are a weather agent."}]}
USER = {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris and Rome?"}]}
CALL = {
    "type": "tool_call",
    "id": "call_paris",
    "name": "get_weather",
    "arguments": {"city": "Paris"},
}
THOUGHT = {"type": "reasoning", "content": "Paris first: the forecast tool knows it."}
ASKED = {"role": "assistant", "parts": [THOUGHT, CALL]}
RESULT = {
    "role": "tool",
    "parts": [{"type": "tool_call_response", "id": "call_paris", "response": "sunny"}],
}


STORED = "query($id: ID!) { run(id: $id) { status events { edges { node { id kind name } } } } }"


def chat(agent: Agent, messages: list[Any], output: list[Any]) -> None:
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.temperature": 0.2,
        "gen_ai.usage.input_tokens": 120,
        "gen_ai.usage.output_tokens": 30,
        "gen_ai.input.messages": json.dumps(messages),
        "gen_ai.output.messages": json.dumps(output),
    }
    with agent.tracer.start_as_current_span("chat gpt-4o-mini", attributes=attrs):
        pass


@pytest.fixture(scope="module")
def run(ui_server: tuple[Endpoints, str]) -> Iterator[dict[str, str]]:
    """A finished run: LLM call asking for get_weather, the tool (with stdout), a second LLM
    call seeing the tool's result, a failing tool, a summarization."""
    server = ui_server[0]
    agent = Agent(server)
    logs = LoggerProvider()
    logs.add_log_record_processor(
        SimpleLogRecordProcessor(
            OTLPLogExporter(endpoint=f"127.0.0.1:{server.grpc_port}", insecure=True)
        )
    )
    logger = logs.get_logger("timeline-test")
    with agent.run("timeline_agent") as root:
        chat(
            agent,
            [SYSTEM, USER],
            [{"role": "assistant", "parts": [THOUGHT, CALL], "finish_reason": "tool_call"}],
        )
        attrs = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "get_weather",
            "gen_ai.tool.call.id": "call_paris",
            "gen_ai.tool.call.arguments": json.dumps({"city": "Paris"}),
            "gen_ai.tool.call.result": json.dumps("sunny"),
            "process.exit.code": 0,
        }
        with (
            agent.tracer.start_as_current_span(
                "execute_tool get_weather", attributes=attrs
            ) as tool,
            SpanOutput(logger, tool, "stdout") as out,
        ):
            out.write("GET /forecast?city=Paris\n")
            out.write("200 OK: sunny, 21C\n")
        answer = {"role": "assistant", "parts": [{"type": "text", "content": "**Paris**: sunny"}]}
        chat(agent, [SYSTEM, USER, ASKED, RESULT], [answer])
        agent.tool("get_rome", {"city": "Rome"}, None, error="TimeoutError: no answer in 5 s")
        with agent.tracer.start_as_current_span(
            "compact history",
            attributes={
                "gen_ai.operation.name": "compact_context",
                "runlens.compaction.messages_before": 6,
                "runlens.compaction.messages_after": 2,
            },
        ):
            pass
        run_id = trace_id(root)
    agent.close()
    logs.shutdown()

    def stored() -> dict[str, str]:
        body = httpx.post(
            f"{server.api_url}/graphql",
            json={"query": STORED, "variables": {"id": run_id}},
            timeout=30,
        ).json()  # fmt: skip
        run = body["data"]["run"]
        assert run and run["status"] == "COMPLETED", body
        nodes = [e["node"] for e in run["events"]["edges"]]
        assert len(nodes) == 6, nodes
        return {"run": run_id, **{f"{n['kind']}:{i}": n["id"] for i, n in enumerate(nodes)}}

    yield eventually(stored, timeout=30)


def rows(page: Any) -> Any:
    return page.locator(".ev-row")


def selected_id(page: Any) -> str:
    return page.locator(".ev-row.selected").get_attribute("data-id")


def test_filters_follow_and_arrows(ui: Watched, run: dict[str, str]) -> None:
    page = ui.open(f"/runs/{run['run']}/timeline")
    until(lambda: rows(page).count() == 6, timeout=60)
    kinds = [r.get_attribute("data-kind") for r in rows(page).all()]
    assert kinds == [
        "AGENT",
        "LLM_CALL",
        "TOOL_EXECUTION",
        "LLM_CALL",
        "TOOL_EXECUTION",
        "SUMMARIZATION",
    ]
    assert selected_id(page) == run["AGENT:0"]  # the first event is selected on open
    ui.shot("timeline-open")

    page.get_by_role("group", name="Event type").get_by_text("Tool").click()
    until(lambda: rows(page).count() == 2)
    assert {r.get_attribute("data-kind") for r in rows(page).all()} == {"TOOL_EXECUTION"}
    page.get_by_role("group", name="Event status").get_by_text("failed").click()
    until(lambda: rows(page).count() == 1)
    assert rows(page).first.get_attribute("data-id") == run["TOOL_EXECUTION:4"]
    assert "status=FAILED" in page.url and "type=TOOL_EXECUTION" in page.url
    page.reload()  # the filters live in the URL
    until(lambda: rows(page).count() == 1, timeout=60)
    page.get_by_role("group", name="Event type").get_by_text("Tool").click()
    page.get_by_role("group", name="Event status").get_by_text("failed").click()
    until(lambda: rows(page).count() == 6)

    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("F")
    follow = page.get_by_role("button", name=re.compile("Follow"))
    assert follow.get_attribute("aria-pressed") == "true"
    until(lambda: selected_id(page) == run["SUMMARIZATION:5"])
    page.keyboard.press("ArrowUp")
    until(lambda: selected_id(page) == run["TOOL_EXECUTION:4"])
    assert follow.get_attribute("aria-pressed") == "false"  # stepping back leaves follow mode
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowDown")
    until(lambda: selected_id(page) == run["TOOL_EXECUTION:4"])
    assert f"event={run['TOOL_EXECUTION:4']}" in page.url
    detail = page.locator(".event-detail")
    detail.get_by_text("TimeoutError").first.wait_for()
    ui.shot("timeline-failed-tool")


def test_deep_link_and_tool_call_link(ui: Watched, run: dict[str, str]) -> None:
    page = ui.open(f"/runs/{run['run']}/timeline?event={run['LLM_CALL:1']}")
    detail = page.locator(".event-detail")
    detail.get_by_role("heading", name=re.compile("LLM Call")).wait_for()
    assert selected_id(page) == run["LLM_CALL:1"]
    assert detail.locator(".kv-item", has_text="temperature").inner_text().endswith("0.2")
    thinking = detail.get_by_label("Thinking")
    assert THOUGHT["content"] in thinking.inner_text()
    ui.shot("timeline-llm-call")
    calls = detail.locator("ul.tool-calls li")
    assert "get_weather" in calls.first.inner_text()
    calls.first.get_by_role("button", name=re.compile("open the execution")).click()
    page.wait_for_url(re.compile(f"event={run['TOOL_EXECUTION:2']}"))
    detail.get_by_role("heading", name="get_weather").wait_for()
    terminal = detail.get_by_label("Terminal output")
    terminal.wait_for()
    assert terminal.inner_text() == "GET /forecast?city=Paris\n200 OK: sunny, 21C\n"
    facts = detail.get_by_label("Exit code, size and storage")
    assert "exit code\n0" in facts.inner_text()
    assert "chunks\n3" in facts.inner_text() and "runlens.logs" in facts.inner_text()
    link = facts.get_by_role("link", name="download the whole log")
    whole = page.request.get(ui.base + link.get_attribute("href"))
    assert whole.ok and whole.text() == "GET /forecast?city=Paris\n200 OK: sunny, 21C\n"
    facts.get_by_role("button", name="Copy the SQL that reads the whole log").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("SELECT") and "FROM runlens.logs" in copied
    ui.shot("timeline-tool-terminal")
    page.go_back()  # the link is a step in the history
    detail.get_by_role("heading", name=re.compile("LLM Call")).wait_for()


def test_context_items_new_since_the_previous_call(ui: Watched, run: dict[str, str]) -> None:
    page = ui.open(f"/runs/{run['run']}/timeline?event={run['LLM_CALL:3']}")
    items = page.locator(".context-item")
    until(lambda: items.count() == 4, timeout=60)
    flags = [i.get_attribute("data-new") for i in items.all()]
    # system and user were seen before; so was the tool call (the previous call's output)
    assert flags == ["false", "false", "false", "true"], flags
    assert page.locator(".context-item.is-new .badge", has_text="new").count() == 1
    page.locator(".context-item").first.scroll_into_view_if_needed()
    ui.shot("timeline-context")
    page.goto(f"{ui.base}/runs/{run['run']}/timeline?event={run['LLM_CALL:1']}")
    until(lambda: items.count() == 2, timeout=60)
    assert [i.get_attribute("data-new") for i in items.all()] == ["true", "true"]  # the first call


def test_unknown_event_in_a_link_says_so(ui: Watched, run: dict[str, str]) -> None:
    page = ui.open(f"/runs/{run['run']}/timeline?event=00000000-0000-0000-0000-000000000001")
    page.get_by_text("No such event in this run").wait_for(timeout=60_000)


def test_live_view_shows_the_agent_thinking(ui: Watched, run: dict[str, str]) -> None:
    page = ui.open(f"/runs/{run['run']}/live")
    thinking = page.locator("li.entry-thinking")
    thinking.wait_for(timeout=60_000)
    assert thinking.get_by_label("Agent thinking").inner_text().strip() == THOUGHT["content"]
    # the model thinks, then answers: the entry comes before the call's response
    types = [e.get_attribute("data-type") for e in page.locator("li.entry").all()]
    assert types.index("thinking") < types.index("tool")
    ui.shot("live-thinking")
