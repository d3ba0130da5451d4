"""Golden tests: every trace capture in tests/fixtures/real-clients, expectations written from
reading the files (kinds, models, token splits, tool calls, errors, agents, cost sources)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from runlens.semconv.links import link_tool_calls
from runlens.semconv.mapping import map_span
from runlens.semconv.pricing import PriceTable
from runlens.semconv.records import CostSource, RawSpan, SpanKind, SpanRecord, SpanStatus
from tests.semconv.conftest import REAL_CLIENTS

LLM, TOOL, AGENT = SpanKind.LLM_CALL, SpanKind.TOOL_EXECUTION, SpanKind.AGENT
OTHER, SUMMARY = SpanKind.OTHER, SpanKind.SUMMARIZATION
OK, ERROR = SpanStatus.OK, SpanStatus.ERROR
PRODUCER, TABLE = CostSource.PRODUCER, CostSource.PRICE_TABLE
UNPRICED, NONE = CostSource.UNPRICED, CostSource.NONE
MINI, SNAPSHOT = "gpt-4o-mini", "gpt-4o-mini-2024-07-18"
CALL = "call_weather_001"
# (input, cached_input, output, reasoning) of the two calls every weather scenario makes
FIRST, SECOND = (120, 64, 25, 10), (180, 128, 30, 12)
FIRST_NO_REASONING, SECOND_NO_REASONING = (120, 64, 25, 0), (180, 128, 30, 0)
FIRST_BARE, SECOND_BARE = (120, 0, 25, 0), (180, 0, 30, 0)
NO_TOKENS = (0, 0, 0, 0)
CONTEXT_ERROR = "pydantic_ai.exceptions.ModelContextWindowExceededError"
RUNTIME = "RuntimeError: weather service unavailable for Paris"
RETRY = "pydantic_ai.exceptions.ToolRetryError: weather service error for Paris: unavailable"


@dataclass(frozen=True)
class Want:
    kind: SpanKind
    model: str = ""
    tokens: tuple[int, int, int, int] = NO_TOKENS
    stop: str = ""
    calls: tuple[str, ...] = ()
    cost: CostSource = NONE
    status: SpanStatus = OK
    error: str = ""  # "Type" or "Type: message prefix"
    agent: str = ""
    tool: str = ""  # "name:call id"


def chat(
    tokens: tuple[int, int, int, int],
    stop: str,
    cost: CostSource,
    *,
    calls: bool = False,
    model: str = SNAPSHOT,
    agent: str = "",
) -> Want:
    return Want(LLM, model, tokens, stop, (CALL,) if calls else (), cost, agent=agent)


def llm_error(error: str, cost: CostSource = TABLE, agent: str = "") -> Want:
    return Want(LLM, MINI, cost=cost, status=ERROR, error=error, agent=agent)


def agent(name: str = "weather_agent", model: str = MINI, error: str = "") -> Want:
    return Want(AGENT, model, status=ERROR if error else OK, error=error, agent=name)


def tool(call: str = CALL, error: str = "") -> Want:
    return Want(
        TOOL,
        status=ERROR if error else OK,
        error=error,
        agent="weather_agent",
        tool=f"get_weather:{call}",
    )


BARE_TOOL_ROUND = [
    chat(FIRST_BARE, "tool_call", TABLE, calls=True),
    chat(SECOND_BARE, "stop", TABLE),
]
TL_TOOL_ROUND = [chat(FIRST, "tool_call", TABLE, calls=True), chat(SECOND, "stop", TABLE)]
TL_EVENTS_ROUND = [chat(FIRST, "tool_call", TABLE), chat(SECOND, "stop", TABLE)]
OI_TOOL_ROUND = TL_TOOL_ROUND
W = "weather_agent"
PAI_TOOL_ROUND = [
    agent(),
    chat(FIRST, "tool_call", PRODUCER, calls=True, agent=W),
    tool(),
    chat(SECOND, "stop", PRODUCER, agent=W),
]
PAI_RETRY = [
    agent(),
    chat(FIRST, "tool_call", PRODUCER, calls=True, agent=W),
    tool(error=RETRY),
    chat(SECOND, "stop", PRODUCER, agent=W),
]
PAI_TOOL_ERROR = [
    agent(error=RUNTIME),
    chat(FIRST, "tool_call", PRODUCER, calls=True, agent=W),
    tool(error=RUNTIME),
]
OPENAI_400 = "Error code: 400 - This model's maximum context length is 128000 tokens."
LOGFIRE_ROOT = Want(OTHER)

GOLDEN: dict[str, list[Want]] = {
    # OTel contrib openai-v2 2.4b0: no cached/reasoning tokens, error.type is a class repr.
    "otel-openai-v2/tool_call.json": [
        chat(FIRST_BARE, "tool_call", TABLE),
        chat(SECOND_BARE, "stop", TABLE),
    ],
    "otel-openai-v2/tool_error.json": [
        chat(FIRST_BARE, "tool_call", TABLE),
        chat(SECOND_BARE, "stop", TABLE),
    ],
    "otel-openai-v2/stream_tool_call.json": [
        chat(FIRST_BARE, "", TABLE),
        chat(SECOND_BARE, "", TABLE),
    ],
    "otel-openai-v2/llm_error.json": [llm_error(f"openai.BadRequestError: {OPENAI_400}")],
    "otel-openai-v2/span_and_event__tool_call.json": BARE_TOOL_ROUND,
    "otel-openai-v2/span_and_event__tool_error.json": BARE_TOOL_ROUND,
    "otel-openai-v2/span_and_event__stream_tool_call.json": BARE_TOOL_ROUND,
    "otel-openai-v2/span_and_event__llm_error.json": [
        llm_error(f"openai.BadRequestError: {OPENAI_400}")
    ],
    # OpenLLMetry 0.62.4: private reasoning key, dropped when streaming; fc_ ids on Responses.
    "openllmetry-openai/tool_call.json": TL_TOOL_ROUND,
    "openllmetry-openai/tool_error.json": TL_TOOL_ROUND,
    "openllmetry-openai/stream_tool_call.json": [
        chat(FIRST_NO_REASONING, "tool_call", TABLE, calls=True),
        chat(SECOND_NO_REASONING, "stop", TABLE),
    ],
    "openllmetry-openai/responses_tool_call.json": [
        Want(LLM, SNAPSHOT, FIRST, "tool_call", ("fc_weather_001",), TABLE),
        chat(SECOND, "stop", TABLE),
    ],
    "openllmetry-openai/llm_error.json": [llm_error(f"BadRequestError: {OPENAI_400}")],
    "openllmetry-openai/events__tool_call.json": TL_EVENTS_ROUND,
    "openllmetry-openai/events__tool_error.json": TL_EVENTS_ROUND,
    "openllmetry-openai/events__stream_tool_call.json": [
        chat(FIRST_NO_REASONING, "tool_call", TABLE),
        chat(SECOND_NO_REASONING, "stop", TABLE),
    ],
    "openllmetry-openai/events__responses_tool_call.json": [
        Want(LLM, SNAPSHOT, FIRST, "tool_call", ("fc_weather_001",), TABLE),
        chat(SECOND, "stop", TABLE),
    ],
    "openllmetry-openai/events__llm_error.json": [llm_error(f"BadRequestError: {OPENAI_400}")],
    # OpenInference: flattened messages, llm.token_count.*, model from invocation parameters.
    "openinference-openai/tool_call.json": OI_TOOL_ROUND,
    "openinference-openai/tool_error.json": OI_TOOL_ROUND,
    "openinference-openai/stream_tool_call.json": OI_TOOL_ROUND,
    "openinference-openai/responses_tool_call.json": [
        chat(FIRST, "", TABLE, calls=True),
        chat(SECOND, "", TABLE),
    ],
    "openinference-openai/llm_error.json": [llm_error(f"openai.BadRequestError: {OPENAI_400}")],
    # pydantic-ai: producer cost on chat spans, aggregated usage on agent spans is ignored.
    "pydantic-ai/openai_tool_call.json": PAI_TOOL_ROUND,
    "pydantic-ai/v6__openai_tool_call.json": PAI_TOOL_ROUND,
    "pydantic-ai/openai_tool_retry.json": PAI_RETRY,
    "pydantic-ai/v6__openai_tool_retry.json": PAI_RETRY,
    "pydantic-ai/openai_tool_error.json": PAI_TOOL_ERROR,
    "pydantic-ai/v6__openai_tool_error.json": PAI_TOOL_ERROR,
    "pydantic-ai/openai_responses_tool_call.json": [
        agent(),
        chat(FIRST, "stop", PRODUCER, calls=True, agent=W),
        tool(),
        chat(SECOND, "stop", PRODUCER, agent=W),
    ],
    "pydantic-ai/openai_llm_error.json": [
        agent(error=f"{CONTEXT_ERROR}: status_code: 400, model_name: gpt-4o-mini"),
        llm_error(f"{CONTEXT_ERROR}: status_code: 400, model_name: gpt-4o-mini", agent=W),
    ],
    "pydantic-ai/function_model_tool_call.json": [
        agent(model="function-model"),
        chat(FIRST, "tool_call", UNPRICED, calls=True, model="function-model", agent=W),
        tool(),
        chat(SECOND, "stop", UNPRICED, model="function-model", agent=W),
    ],
    "pydantic-ai/test_model_tool_call.json": [
        agent(model="test"),
        Want(
            LLM, "test", (56, 0, 5, 0), "", ("pyd_ai_tool_call_id__get_weather",), UNPRICED, agent=W
        ),
        tool(call="pyd_ai_tool_call_id__get_weather"),
        Want(LLM, "test", (63, 0, 14, 0), "", (), UNPRICED, agent=W),
    ],
    "pydantic-ai/openai_summarize_history.json": [
        agent(),
        chat(FIRST, "tool_call", PRODUCER, calls=True, agent=W),
        Want(SUMMARY, MINI, agent="history_summarizer"),
        chat(FIRST, "stop", PRODUCER, agent="history_summarizer"),
        tool(),
        chat(SECOND, "stop", PRODUCER, agent=W),
    ],
    # Logfire around pydantic-ai: an application root span, logfire.metrics roll-ups ignored.
    "logfire/pydantic_ai_tool_call.json": [LOGFIRE_ROOT, *PAI_TOOL_ROUND],
    "logfire/pydantic_ai_tool_error.json": [LOGFIRE_ROOT, *PAI_TOOL_ERROR],
    "logfire/pydantic_ai_llm_error.json": [
        LOGFIRE_ROOT,
        agent(error=f"{CONTEXT_ERROR}: status_code: 400, model_name: gpt-4o-mini"),
        llm_error(f"{CONTEXT_ERROR}: status_code: 400, model_name: gpt-4o-mini", agent=W),
    ],
}

DIALECTS: dict[str, set[tuple[str, ...]]] = {
    "otel-openai-v2": {("genai",)},
    "openllmetry-openai": {("genai", "openllmetry")},
    "openinference-openai": {("openinference",)},
    "pydantic-ai": {("genai", "pydantic_ai")},
    "logfire": {("logfire",), ("genai", "pydantic_ai", "logfire")},
}

# (index of the requesting LLM span, call id, index of the tool execution span)
LINKS: dict[str, list[tuple[int, str, int]]] = {
    "pydantic-ai/openai_tool_call.json": [(1, CALL, 2)],
    "pydantic-ai/openai_summarize_history.json": [(1, CALL, 4)],
    "pydantic-ai/test_model_tool_call.json": [(1, "pyd_ai_tool_call_id__get_weather", 2)],
    "logfire/pydantic_ai_tool_error.json": [(2, CALL, 3)],
}


def trace_files() -> list[str]:
    return sorted(
        str(path.relative_to(REAL_CLIENTS))
        for path in REAL_CLIENTS.glob("*/*.json")
        if not path.name.endswith((".metrics.json", ".logs.json"))
    )


def mapped(
    spans_of: Callable[[str], list[RawSpan]], name: str, prices: PriceTable
) -> list[SpanRecord]:
    return [map_span(raw, project_id="proj", prices=prices) for raw in spans_of(name)]


def test_every_trace_capture_has_a_golden() -> None:
    assert REAL_CLIENTS.is_dir(), f"fixtures missing: {REAL_CLIENTS}"
    assert trace_files() == sorted(GOLDEN)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_spans(
    name: str, spans_of: Callable[[str], list[RawSpan]], prices: PriceTable
) -> None:
    records = mapped(spans_of, name, prices)
    wants = GOLDEN[name]
    assert len(records) == len(wants)
    directory = name.split("/", maxsplit=1)[0]
    for index, (record, want) in enumerate(zip(records, wants, strict=True)):
        where = f"{name}[{index}] {record.name}"
        assert record.kind is want.kind, where
        assert record.status is want.status, where
        assert record.model == want.model, where
        usage = record.usage
        assert (usage.input, usage.cached_input, usage.output, usage.reasoning) == want.tokens, (
            where
        )
        assert record.stop_reason == want.stop, where
        assert tuple(call.id for call in record.tool_calls) == want.calls, where
        assert record.cost_source is want.cost, where
        if want.cost is UNPRICED or want.cost is NONE:
            assert record.cost_usd is None, where
        else:
            assert record.cost_usd is not None, where
        assert f"{record.error_type}: {record.error_message}".startswith(want.error) or (
            want.error == record.error_type
        ), where
        if not want.error:
            assert (record.error_type, record.error_message) == ("", ""), where
        assert record.agent_name == want.agent, where
        assert f"{record.tool_name}:{record.tool_call_id}" == (want.tool or ":"), where
        assert record.run_id == record.trace_id, where
        assert record.service_name == f"fixture-{directory}", where
        assert record.agent_id == "", where
        assert record.project_id == "proj"
        assert record.dialects in DIALECTS[directory], where
        assert record.end_time_unix_nano > record.start_time_unix_nano, where


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_content_shapes(
    name: str, spans_of: Callable[[str], list[RawSpan]], prices: PriceTable
) -> None:
    """LLM content is canonical message JSON; tool content is arguments/result JSON; neither is
    pretty-printed."""
    for record in mapped(spans_of, name, prices):
        if record.kind is LLM and record.input:
            messages = json.loads(record.input)
            assert messages[0]["role"] == "system", record.name
            assert messages[0]["parts"][0]["content"].startswith(
                ("You are a helpful weather", "SUMMARIZE the conversation")
            )
            assert all("parts" in message for message in messages)
            for message in messages:
                for part in message["parts"]:
                    if part["type"] == "tool_call_response":
                        assert "response" in part and "result" not in part
                        assert part["id"] in (CALL, "pyd_ai_tool_call_id__get_weather")
        if record.kind is LLM and record.output:
            assert json.loads(record.output)[0]["role"] == "assistant"
        for call in record.tool_calls:
            assert call.name == "get_weather"
            assert json.loads(call.arguments) in ({"city": "Paris"}, {"city": "a"})
        if record.kind is TOOL and record.status is OK:
            assert json.loads(record.input) in ({"city": "Paris"}, {"city": "a"})
            assert json.loads(record.output)["condition"] == "sunny"
        # JSON kept as sent when compact enough, never pretty-printed
        assert "\n" not in record.input and " " not in record.input[:3]


@pytest.mark.parametrize(
    "name",
    [
        "otel-openai-v2/tool_call.json",
        "openllmetry-openai/events__tool_call.json",
        "openllmetry-openai/events__stream_tool_call.json",
    ],
)
def test_captures_without_content_have_none(
    name: str, spans_of: Callable[[str], list[RawSpan]], prices: PriceTable
) -> None:
    for record in mapped(spans_of, name, prices):
        assert (record.input, record.output) == ("", "")


def test_pydantic_second_call_has_canonical_history(
    spans_of: Callable[[str], list[RawSpan]], prices: PriceTable
) -> None:
    second = mapped(spans_of, "pydantic-ai/openai_tool_call.json", prices)[3]
    messages = json.loads(second.input)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[2]["parts"][0] == {
        "type": "tool_call",
        "id": CALL,
        "name": "get_weather",
        "arguments": {"city": "Paris"},
    }
    response = messages[3]["parts"][0]
    assert response["type"] == "tool_call_response"
    assert response["response"] == {"city": "Paris", "condition": "sunny", "temperature_c": 22}


def test_openinference_flattened_messages_become_canonical(
    spans_of: Callable[[str], list[RawSpan]], prices: PriceTable
) -> None:
    first, second = mapped(spans_of, "openinference-openai/tool_call.json", prices)
    assert json.loads(first.output) == [
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "id": CALL,
                    "name": "get_weather",
                    "arguments": {"city": "Paris"},
                }
            ],
        }
    ]
    history = json.loads(second.input)
    assert [m["role"] for m in history] == ["system", "user", "assistant", "tool"]
    assert history[3]["parts"] == [
        {
            "type": "tool_call_response",
            "id": CALL,
            "response": '{"city": "Paris", "condition": "sunny", "temperature_c": 22}',
        }
    ]
    assert first.request_model == MINI
    assert (first.temperature, first.top_p, first.max_tokens) == (0.2, 0.9, 256)
    assert first.response_id == "chatcmpl-fixture-001"
    assert first.conversation_id == "conv-fixture-001"


def test_pydantic_agent_span_content_and_identity(
    spans_of: Callable[[str], list[RawSpan]], prices: PriceTable
) -> None:
    root = mapped(spans_of, "pydantic-ai/openai_tool_call.json", prices)[0]
    assert json.loads(root.output) == "It is sunny and 22 degrees Celsius in Paris right now."
    assert [m["role"] for m in json.loads(root.input)] == ["system", "user"]
    assert root.conversation_id == "conv-fixture-001"
    assert root.usage.total == 0 and root.cost_usd is None


def test_producer_cost_is_kept_verbatim(
    spans_of: Callable[[str], list[RawSpan]], prices: PriceTable
) -> None:
    records = mapped(spans_of, "pydantic-ai/openai_tool_call.json", prices)
    assert (records[1].cost_usd, records[3].cost_usd) == (2.82e-05, 3.54e-05)
    assert records[1].price_version == ""


def test_price_table_matches_producer_for_same_tokens(
    spans_of: Callable[[str], list[RawSpan]], prices: PriceTable
) -> None:
    first, second = mapped(spans_of, "openllmetry-openai/tool_call.json", prices)
    assert first.cost_usd == pytest.approx(2.82e-05)
    assert second.cost_usd == pytest.approx(3.54e-05)
    assert first.price_version == prices.version


def test_logfire_root_keeps_code_location(
    spans_of: Callable[[str], list[RawSpan]], prices: PriceTable
) -> None:
    root = mapped(spans_of, "logfire/pydantic_ai_tool_call.json", prices)[0]
    assert (root.code_filepath, root.code_function, root.code_lineno) == (
        "capture_logfire.py",
        "run_pydantic_ai",
        73,
    )
    assert root.usage.total == 0 and root.cost_source is NONE
    assert "logfire.metrics" in root.attributes


@pytest.mark.parametrize("name", sorted(LINKS))
def test_golden_links(
    name: str, spans_of: Callable[[str], list[RawSpan]], prices: PriceTable
) -> None:
    records = mapped(spans_of, name, prices)
    expected = {
        (records[llm].span_id, call): records[execution].span_id
        for llm, call, execution in LINKS[name]
    }
    assert link_tool_calls(records) == expected


def test_error_events_are_kept_as_json(
    spans_of: Callable[[str], list[RawSpan]], prices: PriceTable
) -> None:
    (record,) = mapped(spans_of, "openinference-openai/llm_error.json", prices)
    events = json.loads(record.events)
    assert events[0]["name"] == "exception"
    assert events[0]["attributes"]["exception.type"] == "openai.BadRequestError"
