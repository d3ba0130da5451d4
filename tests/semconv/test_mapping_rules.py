"""map_span rules on hand-built spans: precedence, start markers, run ids, flags, usage rules."""

from __future__ import annotations

import json

import pytest

from runlens.semconv.mapping import map_span
from runlens.semconv.pricing import PriceTable
from runlens.semconv.records import (
    Attributes,
    CostSource,
    RawEvent,
    RawSpan,
    SpanKind,
    SpanRecord,
    SpanStatus,
)

TRACE = "0123456789abcdef0123456789abcdef"


def span(
    attributes: Attributes,
    *,
    name: str = "span",
    span_id: str = "1111111111111111",
    parent: str = "",
    status: int = 0,
    message: str = "",
    resource: Attributes | None = None,
    events: tuple[RawEvent, ...] = (),
    **extra: object,
) -> RawSpan:
    return RawSpan(
        trace_id=TRACE,
        span_id=span_id,
        parent_span_id=parent,
        name=name,
        kind=1,
        start_time_unix_nano=100,
        end_time_unix_nano=200,
        status_code=status,
        status_message=message,
        attributes=attributes,
        events=events,
        resource=resource or {},
        **extra,  # type: ignore[arg-type]
    )


def mapped(raw: RawSpan, prices: PriceTable) -> SpanRecord:
    return map_span(raw, project_id="p", prices=prices)


CHAT: Attributes = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini"}


def test_current_genai_beats_dialect_beats_deprecated(prices: PriceTable) -> None:
    record = mapped(
        span(
            {
                **CHAT,
                "gen_ai.system": "deprecated-provider",
                "llm.system": "oi-provider",
                "openinference.span.kind": "LLM",
                "llm.model_name": "oi-model",
                "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                "llm.token_count.prompt": 999,
                "gen_ai.usage.input_tokens": 100,
                "gen_ai.usage.prompt_tokens": 555,
                "llm.token_count.completion": 40,
                "gen_ai.usage.completion_tokens": 777,
            }
        ),
        prices,
    )
    assert record.provider == "oi-provider"
    assert record.response_model == "gpt-4o-mini-2024-07-18"
    assert record.usage.input == 100  # spec name wins
    assert record.usage.output == 40  # dialect-specific beats deprecated
    assert record.dialects == ("genai", "openinference")

    deprecated_only = mapped(
        span({**CHAT, "gen_ai.system": "openai", "gen_ai.usage.prompt_tokens": 9}), prices
    )
    assert deprecated_only.provider == "openai" and deprecated_only.usage.input == 9


def test_gen_ai_messages_beat_flattened_legacy_messages(prices: PriceTable) -> None:
    attributes: Attributes = {
        **CHAT,
        "gen_ai.input.messages": json.dumps(
            [{"role": "user", "parts": [{"type": "text", "content": "from spec"}]}]
        ),
        "gen_ai.prompt.0.role": "user",
        "gen_ai.prompt.0.content": "from legacy",
    }
    record = mapped(span(attributes), prices)
    assert json.loads(record.input)[0]["parts"][0]["content"] == "from spec"
    assert record.dialects == ("genai", "openllmetry")


def test_legacy_openllmetry_flattened_prompt_and_completion(prices: PriceTable) -> None:
    record = mapped(
        span(
            {
                "llm.request.type": "chat",
                "gen_ai.system": "openai",
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.prompt.0.role": "system",
                "gen_ai.prompt.0.content": "be brief",
                "gen_ai.prompt.1.role": "user",
                "gen_ai.prompt.1.content": "weather?",
                "gen_ai.prompt.2.role": "assistant",
                "gen_ai.prompt.2.tool_calls.0.id": "call_1",
                "gen_ai.prompt.2.tool_calls.0.name": "get_weather",
                "gen_ai.prompt.2.tool_calls.0.arguments": '{"city": "Paris"}',
                "gen_ai.prompt.3.role": "tool",
                "gen_ai.prompt.3.tool_call_id": "call_1",
                "gen_ai.prompt.3.content": "sunny",
                "gen_ai.completion.0.role": "assistant",
                "gen_ai.completion.0.finish_reason": "tool_calls",
                "gen_ai.completion.0.tool_calls.0.id": "call_2",
                "gen_ai.completion.0.tool_calls.0.name": "get_weather",
                "gen_ai.completion.0.tool_calls.0.arguments": '{"city": "Lyon"}',
                "gen_ai.usage.prompt_tokens": 50,
                "gen_ai.usage.completion_tokens": 20,
                "gen_ai.usage.cache_read_input_tokens": 10,
                "llm.usage.reasoning_tokens": 5,
            },
            name="openai.chat",
        ),
        prices,
    )
    assert record.kind is SpanKind.LLM_CALL
    messages = json.loads(record.input)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "tool"]
    assert messages[2]["parts"] == [
        {"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}
    ]
    assert messages[3]["parts"] == [
        {"type": "tool_call_response", "id": "call_1", "response": "sunny"}
    ]
    assert [(c.id, c.arguments) for c in record.tool_calls] == [("call_2", '{"city":"Lyon"}')]
    assert record.stop_reason == "tool_call"
    usage = record.usage
    assert (usage.input, usage.cached_input, usage.output, usage.reasoning) == (50, 10, 20, 5)
    # gpt-4o: 40 uncached x 2.5 + 10 cached x 1.25 + 15 x 10 + 5 reasoning x 10 (per 1M)
    assert record.cost_usd == pytest.approx((40 * 2.5 + 10 * 1.25 + 15 * 10 + 5 * 10) / 1e6)


def test_runlens_start_marker_is_running(prices: PriceTable) -> None:
    record = mapped(span({**CHAT, "runlens.span.state": "started"}), prices)
    assert record.status is SpanStatus.RUNNING
    assert record.end_time_unix_nano == 0
    assert record.span_id == "1111111111111111"
    assert "runlens" in record.dialects


def test_logfire_pending_span_is_rekeyed_to_the_real_span(prices: PriceTable) -> None:
    record = mapped(
        span(
            {
                "logfire.span_type": "pending_span",
                "logfire.pending_parent_id": "2222222222222222",
                "logfire.msg": "running",
            },
            span_id="3333333333333333",
            parent="4444444444444444",
            name="work {x}",
        ),
        prices,
    )
    assert (record.span_id, record.parent_span_id) == ("4444444444444444", "2222222222222222")
    assert record.status is SpanStatus.RUNNING and record.end_time_unix_nano == 0
    assert record.dialects == ("logfire",)
    root = mapped(
        span(
            {"logfire.span_type": "pending_span", "logfire.pending_parent_id": "0" * 16},
            span_id="3333333333333333",
            parent="4444444444444444",
        ),
        prices,
    )
    assert root.parent_span_id == ""


def test_status_mapping(prices: PriceTable) -> None:
    assert mapped(span({}, status=0), prices).status is SpanStatus.OK
    assert mapped(span({}, status=1), prices).status is SpanStatus.OK
    failed = mapped(span({}, status=2, message="ValueError: bad input"), prices)
    assert failed.status is SpanStatus.ERROR
    assert (failed.error_type, failed.error_message) == ("ValueError", "bad input")
    plain = mapped(span({}, status=2, message="it broke"), prices)
    assert (plain.error_type, plain.error_message) == ("", "it broke")


def test_run_id_override_span_then_resource_then_trace(prices: PriceTable) -> None:
    resource: Attributes = {"runlens.run.id": "run-r", "service.name": "svc"}
    assert mapped(span({"runlens.run.id": "run-s"}, resource=resource), prices).run_id == "run-s"
    from_resource = mapped(span({}, resource=resource), prices)
    assert from_resource.run_id == "run-r" and from_resource.service_name == "svc"
    assert mapped(span({}), prices).run_id == TRACE


def test_agent_identity(prices: PriceTable) -> None:
    record = mapped(
        span(
            {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.id": "ag-1",
                "gen_ai.agent.name": "planner",
            }
        ),
        prices,
    )
    assert (record.kind, record.agent_id, record.agent_name) == (SpanKind.AGENT, "ag-1", "planner")
    traceloop = mapped(
        span(
            {
                "traceloop.span.kind": "agent",
                "traceloop.entity.name": "researcher",
                "traceloop.entity.input": '{"args": ["q"]}',
                "traceloop.entity.output": "done",
            },
            name="researcher.agent",
        ),
        prices,
    )
    assert (traceloop.kind, traceloop.agent_name) == (SpanKind.AGENT, "researcher")
    assert json.loads(traceloop.input) == {"args": ["q"]} and json.loads(traceloop.output) == "done"
    oi = mapped(span({"openinference.span.kind": "AGENT", "agent.name": "triage"}), prices)
    assert oi.agent_name == "triage"
    service_only = mapped(span({}, resource={"service.name": "svc"}), prices)
    assert (service_only.agent_id, service_only.agent_name) == ("", "")


def test_truncated_and_binary_flags(prices: PriceTable) -> None:
    record = mapped(
        span({"blob": "AAEC", "long": "x"}, truncated_keys=("long",), binary_keys=("blob",)),
        prices,
    )
    assert record.truncated and record.binary
    assert not mapped(span({}), prices).truncated


def test_aggregate_usage_is_never_read(prices: PriceTable) -> None:
    agent = mapped(
        span(
            {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": "a",
                "gen_ai.aggregated_usage.input_tokens": 300,
                "gen_ai.usage.input_tokens": 300,
                "gen_ai.usage.output_tokens": 50,
                "operation.cost": 0.5,
                "logfire.metrics": '{"operation.cost": 0.5}',
            }
        ),
        prices,
    )
    assert agent.usage.total == 0
    assert agent.cost_usd is None and agent.cost_source is CostSource.NONE
    tool = mapped(
        span({"gen_ai.operation.name": "execute_tool", "gen_ai.usage.input_tokens": 7}), prices
    )
    assert tool.usage.total == 0


def test_cost_sources(prices: PriceTable) -> None:
    producer = mapped(
        span({**CHAT, "llm.cost.total": 0.25, "openinference.span.kind": "LLM"}), prices
    )
    assert (producer.cost_usd, producer.cost_source) == (0.25, CostSource.PRODUCER)
    unknown = mapped(
        span(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "my-llm",
                "gen_ai.usage.input_tokens": 10,
            }
        ),
        prices,
    )
    assert unknown.cost_usd is None and unknown.cost_source is CostSource.UNPRICED
    assert unknown.price_version == ""
    priced = mapped(span({**CHAT, "gen_ai.usage.input_tokens": 1_000_000}), prices)
    assert priced.cost_source is CostSource.PRICE_TABLE
    assert priced.cost_usd == pytest.approx(0.15)
    assert priced.price_version == prices.version


def test_logfire_raw_usage(prices: PriceTable) -> None:
    raw_usage = {
        "prompt_tokens": 100,
        "completion_tokens": 40,
        "prompt_tokens_details": {"cached_tokens": 30},
        "completion_tokens_details": {"reasoning_tokens": 8},
    }
    record = mapped(
        span(
            {
                "gen_ai.system": "openai",
                "request_data": '{"model": "gpt-4o"}',
                "gen_ai.usage.raw": json.dumps(raw_usage),
                "logfire.span_type": "span",
            },
            name="Chat Completion with {request_data[model]!r}",
            scope_name="logfire.openai",
        ),
        prices,
    )
    assert record.kind is SpanKind.LLM_CALL and record.request_model == "gpt-4o"
    usage = record.usage
    assert (usage.input, usage.cached_input, usage.output, usage.reasoning) == (100, 30, 40, 8)
    anthropic = mapped(
        span(
            {
                **CHAT,
                "gen_ai.usage.raw": json.dumps(
                    {
                        "input_tokens": 10,
                        "output_tokens": 5,
                        "cache_read_input_tokens": 90,
                        "cache_creation_input_tokens": 20,
                    }
                ),
            },
            scope_name="logfire.anthropic",
        ),
        prices,
    )
    assert (anthropic.usage.input, anthropic.usage.cached_input, anthropic.usage.cache_write) == (
        120,
        90,
        20,
    )


@pytest.mark.parametrize(
    ("attributes", "name"),
    [
        ({"gen_ai.operation.name": "compact_context"}, "compact"),
        ({"runlens.compaction.strategy": "summarize"}, "anything"),
        ({**CHAT, "gen_ai.conversation.compacted": True}, "chat gpt-4o-mini"),
        (
            {
                **CHAT,
                "gen_ai.output.messages": json.dumps(
                    [{"role": "assistant", "parts": [{"type": "compaction", "id": "c1"}]}]
                ),
            },
            "chat x",
        ),
        ({"openinference.span.kind": "CHAIN"}, "condense_history"),
        ({"openinference.span.kind": "chain"}, "summarize history"),  # any case, as kinds read it
        (
            {
                "openinference.span.kind": "LLM",
                "output.value": '{"output": [{"type": "compaction", "id": "cmp_1"}]}',
            },
            "Response",
        ),
        ({"gen_ai.operation.name": "invoke_agent"}, "invoke_agent history_summarizer"),
    ],
)
def test_summarization_signals(attributes: Attributes, name: str, prices: PriceTable) -> None:
    assert mapped(span(attributes, name=name), prices).kind is SpanKind.SUMMARIZATION


def test_summarizing_name_heuristic_spares_llm_and_tool_spans(prices: PriceTable) -> None:
    assert mapped(span(CHAT, name="chat summarizer-model"), prices).kind is SpanKind.LLM_CALL
    tool = mapped(
        span({"gen_ai.operation.name": "execute_tool"}, name="execute_tool compact"), prices
    )
    assert tool.kind is SpanKind.TOOL_EXECUTION
    assert mapped(span({}, name="GET /summary"), prices).kind is SpanKind.OTHER


def test_summarizing_llm_call_keeps_usage_and_cost(prices: PriceTable) -> None:
    record = mapped(
        span(
            {
                "gen_ai.operation.name": "compact_context",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.usage.input_tokens": 1000,
                "gen_ai.usage.output_tokens": 100,
                "runlens.compaction.tokens_before": 9000,
                "runlens.compaction.tokens_after": 800,
            }
        ),
        prices,
    )
    assert record.kind is SpanKind.SUMMARIZATION
    assert record.usage.input == 1000 and record.cost_source is CostSource.PRICE_TABLE
    assert record.attributes["runlens.compaction.tokens_after"] == "800"


@pytest.mark.parametrize(
    ("attributes", "name", "kind"),
    [
        ({"gen_ai.operation.name": "embeddings"}, "x", SpanKind.EMBEDDING),
        ({"gen_ai.operation.name": "retrieval"}, "x", SpanKind.RETRIEVAL),
        ({"gen_ai.operation.name": "invoke_workflow"}, "x", SpanKind.OTHER),
        ({"gen_ai.operation.name": "execute_task"}, "x", SpanKind.OTHER),
        ({"openinference.span.kind": "RETRIEVER"}, "x", SpanKind.RETRIEVAL),
        ({"openinference.span.kind": "CHAIN"}, "x", SpanKind.OTHER),
        ({"traceloop.span.kind": "workflow"}, "x", SpanKind.OTHER),
        ({"traceloop.span.kind": "tool"}, "x", SpanKind.TOOL_EXECUTION),
        ({"llm.request.type": "embedding"}, "x", SpanKind.EMBEDDING),
        ({}, "openai.chat", SpanKind.LLM_CALL),
        ({}, "Chat Completion with {request_data[model]!r}", SpanKind.LLM_CALL),
        ({}, "get_weather.tool", SpanKind.TOOL_EXECUTION),
        ({}, "weather.workflow", SpanKind.OTHER),
        ({}, "execute_tool get_weather", SpanKind.TOOL_EXECUTION),
        ({}, "handle request", SpanKind.OTHER),
    ],
)
def test_kinds(attributes: Attributes, name: str, kind: SpanKind, prices: PriceTable) -> None:
    assert mapped(span(attributes, name=name), prices).kind is kind


def test_langchain_streamed_call_names_the_model_that_answered(prices: PriceTable) -> None:
    """openinference-instrumentation-langchain names a streamed call by its requested model in
    `llm.model_name`; the snapshot that answered is in the generation (`output.value`)."""
    generation = {
        "text": "",
        "generation_info": {"finish_reason": "tool_calls", "model_name": "gpt-4o-mini-2024-07-18"},
        "type": "ChatGeneration",
    }
    attributes = {
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4o-mini",
        "llm.invocation_parameters": json.dumps({"model": "gpt-4o-mini", "stream": True}),
        "llm.token_count.prompt": 100,
        "output.value": json.dumps({"generations": [[generation]], "llm_output": None}),
    }
    record = mapped(span(attributes), prices)
    assert (record.request_model, record.response_model) == (
        "gpt-4o-mini",
        "gpt-4o-mini-2024-07-18",
    )
    unchanged = mapped(span({**attributes, "llm.model_name": "gpt-4o-mini-2024-07-18"}), prices)
    assert unchanged.response_model == "gpt-4o-mini-2024-07-18"
    no_generation = mapped(span({**attributes, "output.value": '{"id": "r1"}'}), prices)
    assert no_generation.response_model == "gpt-4o-mini"


def test_openinference_tool_span(prices: PriceTable) -> None:
    record = mapped(
        span(
            {
                "openinference.span.kind": "TOOL",
                "tool.name": "get_weather",
                "input.value": "Paris",
                "output.value": '{"tool_call_id": "call_9", "content": "ok"}',
            }
        ),
        prices,
    )
    assert (record.kind, record.tool_name, record.tool_call_id) == (
        SpanKind.TOOL_EXECUTION,
        "get_weather",
        "call_9",  # no `tool.id`: the id the output carries
    )
    assert json.loads(record.input) == "Paris"
    assert json.loads(record.output)["tool_call_id"] == "call_9"


def test_outcome_replay_code_location_and_raw_attributes(prices: PriceTable) -> None:
    record = mapped(
        span(
            {
                "runlens.action.outcome": "replayed",
                "runlens.replay.of": "run-1",
                "code.file.path": "a.py",
                "code.function.name": "f",
                "code.line.number": 3,
                "code.filepath": "old.py",
                "flag": True,
                "nums": [1, 2],
                "text": "é",
            },
            events=(
                RawEvent(
                    "exception", 150, {"exception.type": "KeyError", "exception.message": "'k'"}
                ),
            ),
        ),
        prices,
    )
    assert (record.outcome, record.replay_of) == ("replayed", "run-1")
    assert (record.code_filepath, record.code_function, record.code_lineno) == ("a.py", "f", 3)
    assert record.attributes["flag"] == "true"
    assert record.attributes["nums"] == "[1,2]" and record.attributes["text"] == "é"
    assert (record.error_type, record.error_message) == ("KeyError", "'k'")
    assert json.loads(record.events) == [
        {
            "name": "exception",
            "time_unix_nano": 150,
            "attributes": {"exception.type": "KeyError", "exception.message": "'k'"},
        }
    ]


def test_scrubbed_session_id_is_not_a_conversation(prices: PriceTable) -> None:
    record = mapped(
        span(
            {
                "openinference.span.kind": "LLM",
                "session.id": "[Scrubbed due to 'session']",
                "traceloop.association.properties.thread_id": "th-1",
            }
        ),
        prices,
    )
    assert record.conversation_id == "th-1"


def test_payload_keys_are_stored_once(prices: PriceTable) -> None:
    system = [{"type": "text", "content": "Be brief."}]
    messages = [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]
    answer = [{"role": "assistant", "parts": [{"type": "text", "content": "hello"}]}]
    chat = mapped(
        span(
            {
                **CHAT,
                "gen_ai.system_instructions": json.dumps(system),
                "gen_ai.input.messages": json.dumps(messages, separators=(",", ":")),
                "gen_ai.output.messages": json.dumps(answer),
                "custom": "kept",
            }
        ),
        prices,
    )
    assert json.loads(chat.input) == [{"role": "system", "parts": system}, *messages]
    assert json.loads(chat.output) == answer
    assert ": " not in chat.input and chat.output == json.dumps(answer)  # as sent: one line
    assert set(chat.attributes) == {"gen_ai.operation.name", "gen_ai.request.model", "custom"}

    tool = mapped(
        span(
            {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.call.arguments": '{"city": "Paris"}',
                "gen_ai.tool.call.result": "sunny",
            }
        ),
        prices,
    )
    assert (tool.input, tool.output) == ('{"city": "Paris"}', '"sunny"')  # JSON as sent
    assert set(tool.attributes) == {"gen_ai.operation.name"}


def test_payload_keys_whose_content_is_elsewhere_stay(prices: PriceTable) -> None:
    oi_llm = mapped(
        span(
            {
                "openinference.span.kind": "LLM",
                "llm.model_name": "gpt-4o-mini",
                "llm.input_messages.0.message.role": "user",
                "llm.input_messages.0.message.content": "hi",
                "llm.input_messages.0.message.contents.1.message_content.image.url": "u",
                "llm.output_messages.0.message.role": "assistant",
                "llm.output_messages.0.message.content": "hello",
                "input.value": '{"messages": []}',
                "output.value": '{"id": "r1"}',
            }
        ),
        prices,
    )
    assert json.loads(oi_llm.input)[0]["parts"][0]["content"] == "hi"
    assert set(oi_llm.attributes) == {
        "openinference.span.kind",
        "llm.model_name",
        "llm.input_messages.0.message.contents.1.message_content.image.url",
        "input.value",
        "output.value",
    }

    conversation = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
    ]
    agent = mapped(
        span(
            {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": "a",
                "pydantic_ai.all_messages": json.dumps(conversation),
                "final_result": "hello",
            }
        ),
        prices,
    )
    assert json.loads(agent.input) == [
        {"role": "user", "parts": [{"type": "text", "content": "hi"}]}
    ]
    assert "pydantic_ai.all_messages" in agent.attributes  # the answer is only there
    assert "final_result" not in agent.attributes


def test_reasoning_parts_from_each_dialect(prices: PriceTable) -> None:
    # OTel GenAI's `reasoning` part stays; pydantic-ai's `thinking` part becomes one.
    output = [
        {
            "role": "assistant",
            "parts": [
                {"type": "thinking", "content": "The user wants Paris."},
                {"type": "reasoning", "content": "Call the tool."},
                {"type": "text", "content": "Sunny."},
            ],
        }
    ]
    record = mapped(span({**CHAT, "gen_ai.output.messages": json.dumps(output)}), prices)
    assert [p["type"] for p in json.loads(record.output)[0]["parts"]] == [
        "reasoning", "reasoning", "text",
    ]  # fmt: skip
    # OpenLLMetry's Anthropic instrumentation: a completion whose role is `thinking`.
    legacy = mapped(
        span(
            {
                "llm.request.type": "chat",
                "gen_ai.request.model": "claude-sonnet-4",
                "gen_ai.completion.0.role": "thinking",
                "gen_ai.completion.0.content": "Compare both cities.",
                "gen_ai.completion.1.role": "assistant",
                "gen_ai.completion.1.content": "Rome is warmer.",
            }
        ),
        prices,
    )
    assert json.loads(legacy.output) == [
        {"role": "assistant", "parts": [{"type": "reasoning", "content": "Compare both cities."}]},
        {"role": "assistant", "parts": [{"type": "text", "content": "Rome is warmer."}]},
    ]
