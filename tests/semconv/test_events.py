"""Log records: GenAI events from the real captures, terminal output chunks."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import pytest

from runlens.semconv.events import apply_log_events, map_log
from runlens.semconv.mapping import map_span
from runlens.semconv.pricing import PriceTable
from runlens.semconv.records import RawLog, RawSpan, SpanRecord

SYSTEM = "You are a helpful weather assistant. Use the get_weather tool."


def enriched(
    name: str,
    spans_of: Callable[[str], list[RawSpan]],
    logs_of: Callable[[str], list[RawLog]],
    prices: PriceTable,
) -> tuple[list[SpanRecord], list[SpanRecord]]:
    spans = [map_span(raw, project_id="p", prices=prices) for raw in spans_of(f"{name}.json")]
    logs = [map_log(raw, project_id="p") for raw in logs_of(f"{name}.logs.json")]
    return spans, [apply_log_events(span, logs) for span in spans]


def roles(text: str) -> list[str]:
    return [message["role"] for message in json.loads(text)]


def test_legacy_events_fill_content_of_bare_spans(
    spans_of: Callable[[str], list[RawSpan]],
    logs_of: Callable[[str], list[RawLog]],
    prices: PriceTable,
) -> None:
    spans, (first, second) = enriched(
        "openllmetry-openai/events__tool_call", spans_of, logs_of, prices
    )
    assert spans[0].input == "" and spans[0].tool_calls == ()
    assert roles(first.input) == ["system", "user"]
    assert json.loads(first.input)[0]["parts"] == [{"type": "text", "content": SYSTEM}]
    assert [(c.id, c.name, json.loads(c.arguments)) for c in first.tool_calls] == [
        ("call_weather_001", "get_weather", {"city": "Paris"})
    ]
    assert first.stop_reason == "tool_call"
    assert roles(second.input) == ["system", "user", "assistant", "tool"]
    tool_part = json.loads(second.input)[3]["parts"][0]
    # OpenLLMetry's events mode drops the tool message id.
    assert tool_part["type"] == "tool_call_response" and tool_part["id"] == ""
    assert json.loads(tool_part["response"])["condition"] == "sunny"
    assert json.loads(second.output)[0]["parts"] == [
        {"type": "text", "content": "It is sunny and 22 degrees Celsius in Paris right now."}
    ]
    assert second.tool_calls == ()


def test_uncorrelated_choice_events_are_not_attached(
    spans_of: Callable[[str], list[RawSpan]],
    logs_of: Callable[[str], list[RawLog]],
    prices: PriceTable,
) -> None:
    """Streaming: the choice events were emitted after the span ended, without ids."""
    _, (first, second) = enriched(
        "openllmetry-openai/events__stream_tool_call", spans_of, logs_of, prices
    )
    assert roles(first.input) == ["system", "user"]
    assert first.output == "" and first.tool_calls == ()
    assert roles(second.input) == ["system", "user", "assistant", "tool"]
    assert second.output == ""


def test_tool_error_events(
    spans_of: Callable[[str], list[RawSpan]],
    logs_of: Callable[[str], list[RawLog]],
    prices: PriceTable,
) -> None:
    _, (first, second) = enriched(
        "openllmetry-openai/events__tool_error", spans_of, logs_of, prices
    )
    assert [c.id for c in first.tool_calls] == ["call_weather_001"]
    response = json.loads(second.input)[3]["parts"][0]["response"]
    assert response == "Error: RuntimeError: weather service unavailable for Paris"


def test_llm_error_events_give_input_only(
    spans_of: Callable[[str], list[RawSpan]],
    logs_of: Callable[[str], list[RawLog]],
    prices: PriceTable,
) -> None:
    _, (only,) = enriched("openllmetry-openai/events__llm_error", spans_of, logs_of, prices)
    assert json.loads(only.input)[1]["parts"][0]["content"].endswith("LLM_ERROR")
    assert only.output == "" and only.error_type == "BadRequestError"


@pytest.mark.parametrize(
    "name",
    [
        "otel-openai-v2/span_and_event__tool_call",
        "otel-openai-v2/span_and_event__tool_error",
        "otel-openai-v2/span_and_event__stream_tool_call",
        "otel-openai-v2/span_and_event__llm_error",
    ],
)
def test_details_event_agrees_with_span_content(
    name: str,
    spans_of: Callable[[str], list[RawSpan]],
    logs_of: Callable[[str], list[RawLog]],
    prices: PriceTable,
) -> None:
    spans, after = enriched(name, spans_of, logs_of, prices)
    assert after == spans  # the spans already carry content: nothing replaced
    for span in spans:
        bare = dataclasses.replace(span, input="", output="", tool_calls=(), stop_reason="")
        logs = [map_log(raw, project_id="p") for raw in logs_of(f"{name}.logs.json")]
        rebuilt = apply_log_events(bare, logs)
        assert json.loads(rebuilt.input) == json.loads(span.input)
        assert rebuilt.tool_calls == span.tool_calls
        if span.output:
            assert json.loads(rebuilt.output) == json.loads(span.output)


def test_map_log_genai_event(logs_of: Callable[[str], list[RawLog]]) -> None:
    raw = logs_of("otel-openai-v2/span_and_event__tool_call.logs.json")[0]
    record = map_log(raw, project_id="p")
    assert record.event_name == "gen_ai.client.inference.operation.details"
    assert record.run_id == record.trace_id == raw.trace_id
    assert record.span_id == "f9aa3c19b442619a"
    assert record.body == ""
    assert json.loads(record.attributes["gen_ai.input.messages"])[0]["role"] == "system"
    assert record.stream == "" and record.seq == 0 and not record.end_of_stream


def _raw_log(attributes: dict[str, object], body: object = "ls -l\n") -> RawLog:
    return RawLog(
        trace_id="ab" * 16,
        span_id="cd" * 8,
        time_unix_nano=5,
        severity_number=9,
        severity_text="INFO",
        event_name="",
        body=body,  # type: ignore[arg-type]
        attributes=attributes,  # type: ignore[arg-type]
        resource={"runlens.run.id": "run-from-resource"},
        truncated_keys=("body",),
    )


def test_terminal_output_chunk() -> None:
    record = map_log(
        _raw_log(
            {"runlens.output.stream": "stderr", "runlens.output.seq": 7, "runlens.output.eof": True}
        ),
        project_id="p",
    )
    assert (record.stream, record.seq, record.end_of_stream) == ("stderr", 7, True)
    assert record.run_id == "run-from-resource"
    assert json.loads(record.body) == "ls -l\n"
    assert record.truncated and not record.binary


def test_log_run_id_attribute_beats_resource_and_unknown_stream_is_not_a_chunk() -> None:
    record = map_log(
        _raw_log(
            {
                "runlens.run.id": "run-attr",
                "runlens.output.stream": "other",
                "runlens.output.seq": 3,
            }
        ),
        project_id="p",
    )
    assert record.run_id == "run-attr"
    assert (record.stream, record.seq) == ("", 0)
