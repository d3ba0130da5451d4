"""Agent spans sent with the real OTel SDK gRPC exporter into a running runlens, read in SQL."""

from __future__ import annotations

from clickhouse_connect.driver.client import Client
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from runlens.sdk.markers import start_marker
from runlens.serve import Endpoints
from tests.collector.agent import provider, weather_run
from tests.eventually import eventually


def grpc_exporter(server: Endpoints) -> OTLPSpanExporter:
    return OTLPSpanExporter(endpoint=f"127.0.0.1:{server.grpc_port}", insecure=True)


def summary(sql: Client, run_id: str) -> dict[str, object]:
    result = sql.query(
        "SELECT * FROM runlens.run_summaries FINAL WHERE run_id = {r:String}",
        parameters={"r": run_id},
    )
    assert len(result.result_rows) == 1, result.result_rows
    return dict(zip(result.column_names, result.result_rows[0], strict=True))


def recomputed_since(sql: Client, run_id: str, before: dict[str, object]) -> dict[str, object]:
    """The run's summary once refreshed after the writes that followed `before` (summaries follow
    exports; `spans_seq`, the commit sequence a summary covers, grows with every refresh after
    a write, while `version` grows only when the run's spans do)."""
    row = summary(sql, run_id)
    assert row["spans_seq"] > before["spans_seq"]  # type: ignore[operator]
    return row


def span_rows(sql: Client, run_id: str) -> list[dict[str, object]]:
    result = sql.query(
        "SELECT * FROM runlens.spans FINAL WHERE run_id = {r:String} ORDER BY start_time, span_id",
        parameters={"r": run_id},
    )
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def test_agent_run_is_stored_when_the_export_returns(server: Endpoints, sql: Client) -> None:
    tracer_provider = provider(SimpleSpanProcessor(grpc_exporter(server)))
    run_id = weather_run(tracer_provider)
    tracer_provider.shutdown()

    spans = span_rows(sql, run_id)
    assert [s["kind"] for s in spans] == ["agent", "llm_call", "tool_execution", "llm_call"]
    assert {s["project_id"] for s in spans} == {"default"}
    tool = spans[2]
    assert tool["tool_name"] == "get_weather"
    assert tool["tool_call_id"] == "call_1"

    def summarised() -> None:
        run = summary(sql, run_id)
        assert run["status"] == "completed"
        assert run["agent_name"] == "weather_agent"
        assert run["turns"] == 2
        assert run["action_count"] == 3
        assert (run["input_tokens"], run["cached_tokens"], run["output_tokens"]) == (300, 80, 40)
        assert run["unpriced_count"] == 0
        # gpt-4o-mini from the bundled table: never zero for a priced model.
        assert float(run["cost_usd"]) > 0  # type: ignore[arg-type]

    eventually(summarised)


def test_failed_tool_is_recorded_with_its_error(server: Endpoints, sql: Client) -> None:
    tracer_provider = provider(SimpleSpanProcessor(grpc_exporter(server)))
    run_id = weather_run(tracer_provider, fail_tool=True)
    tracer_provider.shutdown()

    tool = next(s for s in span_rows(sql, run_id) if s["kind"] == "tool_execution")
    assert tool["status"] == "error"
    assert tool["error_type"] == "TimeoutError"

    def summarised() -> None:
        run = summary(sql, run_id)
        assert run["error_count"] == 1
        assert run["action_ok_count"] == 2

    eventually(summarised)


def test_resent_batch_is_not_counted_twice(server: Endpoints, sql: Client) -> None:
    memory = InMemorySpanExporter()
    tracer_provider = provider(SimpleSpanProcessor(memory))
    run_id = weather_run(tracer_provider)
    finished = memory.get_finished_spans()
    exporter = grpc_exporter(server)
    assert exporter.export(finished) == SpanExportResult.SUCCESS
    first = eventually(lambda: summary(sql, run_id))
    assert exporter.export(finished) == SpanExportResult.SUCCESS  # a client retry
    assert exporter.export(finished[1:3]) == SpanExportResult.SUCCESS  # a partial retry
    again = eventually(lambda: recomputed_since(sql, run_id, first))

    assert len(span_rows(sql, run_id)) == 4
    for column in ("span_count", "input_tokens", "output_tokens", "cost_usd", "turns"):
        assert again[column] == first[column], column


def test_start_marker_makes_a_run_visible_before_it_ends(server: Endpoints, sql: Client) -> None:
    exporter = grpc_exporter(server)
    memory = InMemorySpanExporter()
    tracer_provider = provider(SimpleSpanProcessor(memory))
    tracer = tracer_provider.get_tracer("marker-test")
    with tracer.start_as_current_span(
        "invoke_agent slow_agent",
        attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "slow_agent"},
    ) as root:
        run_id = format(root.get_span_context().trace_id, "032x")
    ended = memory.get_finished_spans()[0]

    def running() -> None:
        assert summary(sql, run_id)["status"] == "running"

    def completed() -> None:
        assert summary(sql, run_id)["status"] == "completed"

    assert exporter.export([start_marker(ended)]) == SpanExportResult.SUCCESS
    eventually(running)
    assert [s["status"] for s in span_rows(sql, run_id)] == ["running"]

    assert exporter.export([ended]) == SpanExportResult.SUCCESS
    assert [s["status"] for s in span_rows(sql, run_id)] == ["ok"]
    eventually(completed)
