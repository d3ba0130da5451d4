"""One run model serves every read path: for generated runs sent over OTLP/HTTP in random batches
(spans and their GenAI log events and terminal output split apart or sent together, start markers
before their spans, deliveries repeated), the `run` query, the last state of the `runEventBatches`
stream (over a real WebSocket, subscribed before the first byte) and the export show the same
events."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runlens.serve import Endpoints
from tests.conftest import running_server
from tests.eventually import eventually
from tests.live.graphql_ws import TransportWs

MS = 1_000_000
T0 = (time.time_ns() // 1_000_000_000 - 3600) * 1_000_000_000  # an hour ago: within retention

EVENT = """id spanId parentId kind name status outcome startedAt endedAt durationMs costUsd
  input output
  ... on LlmCall { model counted tokens { input output total } toolCalls { id execution { id } } }
  ... on ToolExecution { toolName terminalOutput { stdout stderr chunkCount } }"""
QUERY = f"""query ($id: ID!) {{ run(id: $id) {{ status
  events(first: 200) {{ edges {{ node {{ {EVENT} }} }} }} }} }}"""
STREAM = f"""subscription ($runId: ID!) {{ runEventBatches(runId: $runId) {{ sequence updates {{
  type sequence event {{ {EVENT} }} chunk {{ eventId stream text seq }} }} }} }}"""

# What the three paths show alike (the export has no links or terminal output; a live event
# is as of its last update, so what later spans change in it is compared between the query
# and the export only).
COMMON = ("id", "spanId", "parentId", "kind", "name", "status", "outcome", "startedAt",
          "endedAt", "durationMs", "costUsd", "input", "output")  # fmt: skip


def kv(key: str, value: str | int) -> dict[str, Any]:
    typed = {"intValue": str(value)} if isinstance(value, int) else {"stringValue": value}
    return {"key": key, "value": typed}


@dataclass
class Spec:
    span_id: str
    parent_id: str
    kind: str  # llm, tool, other, agent (the root)
    start: int
    end: int
    error: bool = False
    call_id: str = ""  # tool: the call it answers; llm: the call it requests
    content_in_events: bool = False  # llm: its prompt and answer come as GenAI log events
    chunks: int = 0  # tool: stdout chunks
    marker: bool = False  # a start marker is sent too


@dataclass
class Generated:
    trace_id: str
    specs: list[Spec]
    batches: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]] = field(default_factory=list)


def otlp_span(trace_id: str, spec: Spec, marker: bool) -> dict[str, Any]:
    attributes = []
    if spec.kind == "agent":
        attributes += [kv("gen_ai.operation.name", "invoke_agent"), kv("gen_ai.agent.name", "gen")]
    elif spec.kind == "llm":
        attributes += [
            kv("gen_ai.operation.name", "chat"),
            kv("gen_ai.request.model", "gpt-4o"),
            kv("gen_ai.usage.input_tokens", 10 + spec.start % 7),
            kv("gen_ai.usage.output_tokens", 3),
        ]
        if not spec.content_in_events:
            question = [{"role": "user", "parts": [{"type": "text", "content": spec.span_id}]}]
            answer = [{"role": "assistant", "parts": [{"type": "text", "content": "ok"}]}]
            attributes += [
                kv("gen_ai.input.messages", json.dumps(question)),
                kv("gen_ai.output.messages", json.dumps(answer)),
            ]
    elif spec.kind == "tool":
        attributes += [kv("gen_ai.operation.name", "execute_tool"), kv("gen_ai.tool.name", "sh")]
        if spec.call_id:
            attributes.append(kv("gen_ai.tool.call.id", spec.call_id))
    if marker:
        attributes.append(kv("runlens.span.state", "started"))
    return {
        "traceId": trace_id,
        "spanId": spec.span_id,
        "parentSpanId": spec.parent_id,
        "name": f"{spec.kind} {spec.span_id[-4:]}",
        "kind": 1,
        "startTimeUnixNano": str(T0 + spec.start * MS),
        "endTimeUnixNano": str(T0 + (spec.start if marker else spec.end) * MS),
        "attributes": attributes,
        "status": {"code": 2 if spec.error and not marker else 1},
    }


def otlp_logs(trace_id: str, spec: Spec) -> list[dict[str, Any]]:
    def record(at: int, **fields: Any) -> dict[str, Any]:
        return {
            "traceId": trace_id,
            "spanId": spec.span_id,
            "timeUnixNano": str(T0 + at * MS),
            **fields,
        }

    logs: list[dict[str, Any]] = []
    if spec.kind == "llm" and spec.content_in_events:
        message = {"content": f"question {spec.span_id}"}
        choice: dict[str, Any] = {"index": 0, "finish_reason": "stop", "message": {"content": "a"}}
        if spec.call_id:
            call = {"id": spec.call_id, "type": "function"}
            call["function"] = {"name": "sh", "arguments": "{}"}  # type: ignore[assignment]
            choice = {"index": 0, "finish_reason": "tool_calls", "message": {"tool_calls": [call]}}
        logs.append(record(spec.start, eventName="gen_ai.user.message", body=_body(message)))
        logs.append(record(spec.end, eventName="gen_ai.choice", body=_body(choice)))
    for n in range(spec.chunks):
        logs.append(
            record(
                spec.start + n,
                body={"stringValue": f"line {n}\n"},
                attributes=[kv("runlens.output.stream", "stdout"), kv("runlens.output.seq", n)],
            )
        )
    return logs


def _body(value: Any) -> dict[str, Any]:
    """A value as an OTLP `AnyValue` (event bodies are maps)."""
    if isinstance(value, dict):
        return {
            "kvlistValue": {"values": [{"key": k, "value": _body(v)} for k, v in value.items()]}
        }
    if isinstance(value, list):
        return {"arrayValue": {"values": [_body(v) for v in value]}}
    if isinstance(value, int):
        return {"intValue": str(value)}
    return {"stringValue": str(value)}


@st.composite
def generated_runs(draw: st.DrawFn) -> Generated:
    trace_id = uuid.uuid4().hex
    count = draw(st.integers(1, 6))
    root = Spec("a0" + uuid.uuid4().hex[:14], "", "agent", 0, 1000)
    specs = [root]
    calls: list[str] = []
    for n in range(count):
        kind = draw(st.sampled_from(["llm", "tool", "other"]))
        parent = draw(st.sampled_from([s.span_id for s in specs if s.kind != "tool"]))
        start = draw(st.integers(1, 400))
        spec = Spec(f"{n + 1:02x}" + uuid.uuid4().hex[:14], parent, kind, start, start + 50)
        spec.error = draw(st.booleans()) and kind == "tool"
        spec.marker = draw(st.booleans())
        if kind == "llm":
            spec.content_in_events = draw(st.booleans())
            if spec.content_in_events and draw(st.booleans()):
                spec.call_id = f"call_{n}"
                calls.append(spec.call_id)
        elif kind == "tool":
            spec.call_id = draw(st.sampled_from(["", *calls]))
            spec.chunks = draw(st.integers(0, 3))
        specs.append(spec)
    root.marker = True
    spans = [otlp_span(trace_id, s, marker=True) for s in specs if s.marker]
    spans += [otlp_span(trace_id, s, marker=False) for s in specs[1:]]
    logs = [log for s in specs for log in otlp_logs(trace_id, s)]
    repeated = draw(st.lists(st.sampled_from(spans + logs), max_size=2)) if spans else []
    items: list[tuple[str, dict[str, Any]]] = [("span", s) for s in spans]
    items += [("log", g) for g in logs] + [("log" if "body" in r else "span", r) for r in repeated]
    order = draw(st.permutations(range(len(items))))
    cuts = sorted(draw(st.sets(st.integers(1, max(len(items) - 1, 1)), max_size=4)))
    run = Generated(trace_id, specs)
    # A start marker is sent before its span (an exporter sends it at the start): the markers
    # go first, in their own batch; the ended root goes last, alone (the stream ends with it).
    markers = [i for i in order if items[i][0] == "span" and _is_marker(items[i][1])]
    rest = [i for i in order if i not in markers]
    for part in _split(rest, cuts):
        run.batches.append(
            (
                [items[i][1] for i in part if items[i][0] == "span"],
                [items[i][1] for i in part if items[i][0] == "log"],
            )
        )
    run.batches.insert(0, ([items[i][1] for i in markers], []))
    run.batches.append(([otlp_span(trace_id, root, marker=False)], []))
    return run


def _is_marker(span: dict[str, Any]) -> bool:
    return any(a["key"] == "runlens.span.state" for a in span["attributes"])


def _split(indices: list[int], cuts: list[int]) -> Iterator[list[int]]:
    start = 0
    for cut in [*cuts, len(indices)]:
        if cut > start:
            yield indices[start:cut]
            start = cut


@pytest.fixture(scope="module")
def server(chdb_dsn: str) -> Iterator[Endpoints]:
    with running_server(chdb_dsn, project=f"agree-{uuid.uuid4().hex[:8]}") as endpoints:
        yield endpoints


def deliver(server: Endpoints, run: Generated) -> None:
    """Each batch: its spans and its log records as two requests at once (they often share a
    write), the next batch once both are stored."""

    def post(path: str, key: str, scope: str, items: list[dict[str, Any]]) -> None:
        if not items:
            return
        resource = {"attributes": [kv("service.name", "generated")]}
        body = {key: [{"resource": resource, scope: [{items_key(key): items}]}]}
        response = httpx.post(f"{server.otlp_http_url}{path}", json=body, timeout=30)
        assert response.status_code == 200, response.text

    with ThreadPoolExecutor(2) as pool:
        for spans, logs in run.batches:
            sent = [
                pool.submit(post, "/v1/traces", "resourceSpans", "scopeSpans", spans),
                pool.submit(post, "/v1/logs", "resourceLogs", "scopeLogs", logs),
            ]
            for future in sent:
                future.result()


def items_key(key: str) -> str:
    return "spans" if key == "resourceSpans" else "logRecords"


async def follow(server: Endpoints, run_id: str, started: asyncio.Event) -> dict[str, Any]:
    """The last version of each event the stream showed, and its output chunks."""
    client = await TransportWs.open(server.api_url)
    events: dict[str, dict[str, Any]] = {}
    chunks: dict[tuple[str, str], dict[int, str]] = {}
    try:
        await client.subscribe("1", STREAM, runId=run_id)
        await asyncio.sleep(0.3)  # subscribed before the first byte: a run not stored is waited for
        started.set()
        while (data := await client.next("1", timeout=60)) is not None:
            for update in data["runEventBatches"]["updates"]:
                if update["event"] is not None:
                    events[update["event"]["id"]] = update["event"]
                if update["chunk"] is not None:
                    c = update["chunk"]
                    chunks.setdefault((c["eventId"], c["stream"]), {})[int(c["seq"])] = c["text"]
    finally:
        await client.close()
    return {"events": events, "chunks": chunks}


def query(server: Endpoints, run_id: str) -> list[dict[str, Any]]:
    response = httpx.post(
        f"{server.api_url}/graphql", json={"query": QUERY, "variables": {"id": run_id}}
    )
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["run"]["status"] == "COMPLETED"
    return [edge["node"] for edge in body["data"]["run"]["events"]["edges"]]


def export(server: Endpoints, run_id: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{server.api_url}/export/runs",
        params={"format": "json", "include_payloads": "true", "search": run_id},
    )
    assert response.status_code == 200, response.text
    [run] = [r for r in response.json() if r["id"] == run_id]
    actions: list[dict[str, Any]] = run["actions"]
    return actions


def common(event: dict[str, Any]) -> dict[str, Any]:
    return {key: event.get(key) for key in COMMON}


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(run=generated_runs())
def test_query_live_stream_and_export_show_the_same_run(server: Endpoints, run: Generated) -> None:
    async def main() -> dict[str, Any]:
        started = asyncio.Event()
        stream = asyncio.create_task(follow(server, run.trace_id, started))
        await asyncio.wait_for(started.wait(), 30)
        await asyncio.to_thread(deliver, server, run)
        return await asyncio.wait_for(stream, 90)

    live = asyncio.run(main())
    queried = eventually(lambda: query(server, run.trace_id), timeout=30)
    exported = export(server, run.trace_id)

    # the query: every span once, in start order
    assert sorted(e["spanId"] for e in queried) == sorted(s.span_id for s in run.specs)
    starts = [e["startedAt"] for e in queried]
    assert starts == sorted(starts)

    # the live stream's last state: the same events, each as the query shows it
    assert {e["id"]: common(e) for e in queried} == {
        i: common(e) for i, e in live["events"].items()
    }
    # terminal output: the chunks the stream sent are the query's
    for event in queried:
        if event["kind"] == "TOOL_EXECUTION":
            sent = live["chunks"].get((event["id"], "stdout"), {})
            shown = event["terminalOutput"]
            assert "".join(sent[n] for n in sorted(sent)) == (shown["stdout"] if shown else "")

    # the export: the run's actions, in the query's order, as the query shows them
    actions = [e for e in queried if e["kind"] in ("LLM_CALL", "TOOL_EXECUTION")]
    assert [common(a) for a in exported] == [common(e) for e in actions]
    for action, event in zip(exported, actions, strict=True):
        if event["kind"] == "LLM_CALL":
            assert action["counted"] == event["counted"]
            assert action["tokens"]["total"] == event["tokens"]["total"]
            assert action["model"] == event["model"]
        else:
            assert action["toolName"] == event["toolName"]

    # content sent only as GenAI log events is on its LLM call, and requested calls are linked
    by_id = {e["spanId"]: e for e in queried}
    for spec in run.specs:
        event = by_id[spec.span_id]
        if spec.kind == "llm" and spec.content_in_events:
            assert f"question {spec.span_id}" in json.dumps(event["input"])
        if spec.kind == "llm" and spec.call_id:
            [call] = event["toolCalls"]
            answering = {
                by_id[s.span_id]["id"]
                for s in run.specs
                if s.kind == "tool" and s.call_id == spec.call_id
            }
            if answering:
                assert call["execution"] is not None and call["execution"]["id"] in answering
