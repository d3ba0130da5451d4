"""Records for storage tests: small defaults, every field overridable, times near now (old
timestamps would fall outside the retention TTL and vanish)."""

from __future__ import annotations

import time
from typing import Any

from runlens.semconv.records import (
    CostSource,
    LogRecord,
    SpanKind,
    SpanRecord,
    SpanStatus,
    TokenUsage,
    ToolCallRequest,
)

SECOND = 1_000_000_000
T0 = (time.time_ns() // SECOND - 3600) * SECOND + 123_456_789  # an hour ago, odd nanoseconds


def span(project_id: str, run_id: str, span_id: str, **fields: Any) -> SpanRecord:
    values: dict[str, Any] = {
        "project_id": project_id,
        "run_id": run_id,
        "trace_id": run_id,
        "span_id": span_id,
        "parent_span_id": "root",
        "kind": SpanKind.OTHER,
        "name": span_id,
        "status": SpanStatus.OK,
        "start_time_unix_nano": T0,
        "end_time_unix_nano": T0 + SECOND,
    }
    values.update(fields)
    return SpanRecord(**values)


def root(project_id: str, run_id: str, **fields: Any) -> SpanRecord:
    values: dict[str, Any] = {"parent_span_id": "", "kind": SpanKind.AGENT, "name": "agent run"}
    values.update(fields)
    return span(project_id, run_id, "root", **values)


def llm(project_id: str, run_id: str, span_id: str, **fields: Any) -> SpanRecord:
    values: dict[str, Any] = {
        "kind": SpanKind.LLM_CALL,
        "name": "chat gpt-4o",
        "request_model": "gpt-4o",
        "usage": TokenUsage(input=100, cached_input=20, cache_write=5, output=50, reasoning=10),
        "cost_usd": 0.01,
        "cost_source": CostSource.PRICE_TABLE,
    }
    values.update(fields)
    return span(project_id, run_id, span_id, **values)


def tool(project_id: str, run_id: str, span_id: str, **fields: Any) -> SpanRecord:
    values: dict[str, Any] = {"kind": SpanKind.TOOL_EXECUTION, "name": "execute_tool search"}
    values.update(fields)
    return span(project_id, run_id, span_id, **values)


def full_span(project_id: str, run_id: str) -> SpanRecord:
    """A span with every field set to something other than its default."""
    return SpanRecord(
        project_id=project_id,
        run_id=run_id,
        trace_id="0af7651916cd43dd8448eb211c80319c",
        span_id="b7ad6b7169203331",
        parent_span_id="00f067aa0ba902b7",
        kind=SpanKind.LLM_CALL,
        name="chat gpt-4o-mini",
        status=SpanStatus.ERROR,
        start_time_unix_nano=T0,
        end_time_unix_nano=T0 + 2 * SECOND + 7,
        service_name="support-bot",
        agent_id="agent-7",
        agent_name="Support agent",
        conversation_id="conv-1",
        provider="openai",
        request_model="gpt-4o-mini",
        response_model="gpt-4o-mini-2024-07-18",
        temperature=0.7,
        top_p=0.95,
        max_tokens=4096,
        stop_reason="tool_calls",
        response_id="chatcmpl-123",
        usage=TokenUsage(input=1200, cached_input=1000, cache_write=64, output=345, reasoning=120),
        cost_usd=0.000123456789,
        cost_source=CostSource.PRODUCER,
        price_version="2026-11-01",
        input='[{"role": "user", "parts": [{"type": "text", "content": "héllo ✓ \\u0000"}]}]',
        output='[{"role": "assistant", "parts": [{"type": "text", "content": "'
        + "x" * 5000
        + '"}]}]',
        tool_name="search",
        tool_call_id="call_1",
        tool_calls=(
            ToolCallRequest(id="call_1", name="search", arguments='{"q": "weather"}'),
            ToolCallRequest(id="call_2", name="fetch"),
        ),
        error_type="RateLimitError",
        error_message="429: slow down",
        outcome="blocked",
        replay_of="run-0",
        code_filepath="agent/main.py",
        code_function="step",
        code_lineno=42,
        dialects=("gen_ai", "openinference"),
        attributes={"gen_ai.system": "openai", "custom.list": '["a", 1]', "empty": ""},
        resource={"service.name": "support-bot", "host.name": "h1"},
        events='[{"name": "gen_ai.choice", "time_unix_nano": 1, "attributes": {}}]',
        scope_name="opentelemetry.instrumentation.openai",
        truncated=True,
        binary=True,
    )


def log(project_id: str, run_id: str, **fields: Any) -> LogRecord:
    values: dict[str, Any] = {
        "project_id": project_id,
        "run_id": run_id,
        "trace_id": run_id,
        "span_id": "tool-1",
        "time_unix_nano": T0,
        "event_name": "",
        "severity_number": 9,
        "body": '"hello"',
    }
    values.update(fields)
    return LogRecord(**values)
