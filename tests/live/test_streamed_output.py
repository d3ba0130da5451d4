"""Streamed output through `runlens.sdk.output.SpanOutput` and the real OTLP log exporter: the
text an LLM call streams arrives as MODEL_TEXT_DELTA and a tool's stdout as OUTPUT_CHUNK, in
order, while the spans are still running; `LlmCall.streamedText` and
`ToolExecution.terminalOutput` show each stream, and only its own."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor

from runlens.sdk.output import SpanOutput
from runlens.serve import Endpoints
from tests.eventually import eventually
from tests.live.conftest import Agent, run_id, span_id
from tests.live.graphql_ws import TransportWs
from tests.live.test_subscriptions import RUN_EVENTS, Message, about, collect

OUTPUTS = """query ($id: ID!) { run(id: $id) { events { edges { node {
  spanId
  ... on LlmCall { streamedText }
  ... on ToolExecution { terminalOutput { text stdout chunkCount } }
} } } } }"""


def outputs(server: Endpoints, run: str) -> dict[str, dict[str, Any]]:
    body = httpx.post(
        f"{server.api_url}/graphql", json={"query": OUTPUTS, "variables": {"id": run}}, timeout=30
    ).json()
    assert body.get("data") and body["data"]["run"], body  # the run's summary may lag a little
    return {e["node"]["spanId"]: e["node"] for e in body["data"]["run"]["events"]["edges"]}


def test_model_text_and_tool_output_stream_while_running(server: Endpoints) -> None:
    agent = Agent(server, "streaming_agent")
    logs = LoggerProvider()
    logs.add_log_record_processor(
        SimpleLogRecordProcessor(
            OTLPLogExporter(endpoint=f"127.0.0.1:{server.grpc_port}", insecure=True)
        )
    )
    logger = logs.get_logger("streaming-agent")
    root = agent.root()
    llm = agent.tracer.start_span(
        "chat gpt-4o-mini",
        context=trace.set_span_in_context(root),
        attributes={"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini"},
    )
    tool = agent.tool(root, "run_tests")
    run = run_id(root)

    async def follow() -> list[Message]:
        client = await TransportWs.open(server.api_url)
        await client.subscribe("1", RUN_EVENTS, runId=run)
        got: list[Message] = []
        await collect(client, "1", "runEvents", got, about(tool, "EVENT_CREATED", "RUNNING"))
        with SpanOutput(logger, llm, "model") as text, SpanOutput(logger, tool, "stdout") as out:
            for delta in ("The tests ", "all ", "pass."):
                text.write(delta)
                out.write(f"ok {delta}\n")
        await collect(
            client,
            "1",
            "runEvents",
            got,
            lambda m: m["type"] == "MODEL_TEXT_DELTA" and m["chunk"]["seq"] == 3,
        )
        await client.close()
        return got

    got = asyncio.run(follow())
    deltas = [m["chunk"] for m in got if m["type"] == "MODEL_TEXT_DELTA"]
    assert [d["text"] for d in deltas] == ["The tests ", "all ", "pass.", ""]
    assert [int(d["seq"]) for d in deltas] == [0, 1, 2, 3]
    assert {d["stream"] for d in deltas} == {"model"}
    chunks = [m["chunk"] for m in got if m["type"] == "OUTPUT_CHUNK"]
    assert [c["text"] for c in chunks] == ["ok The tests \n", "ok all \n", "ok pass.\n", ""]
    sequences = [int(m["sequence"]) for m in got]
    assert sequences == sorted(sequences)

    def shown() -> None:  # while both spans still run
        found = outputs(server, run)
        assert found[span_id(llm)]["streamedText"] == "The tests all pass."
        terminal = found[span_id(tool)]["terminalOutput"]
        assert terminal["stdout"] == "ok The tests \nok all \nok pass.\n"
        assert terminal["chunkCount"] == 4

    eventually(shown)
    for span in (tool, llm, root):
        span.end()
    logs.shutdown()
    agent.close()
