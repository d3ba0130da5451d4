"""Each payload stored once: copies of `input` / `output` under other payload keys (dual
instrumentation) are left out of `attributes` and rebuilt from the columns; JSON is kept as sent
when compact enough."""

from __future__ import annotations

import json

from runlens.semconv import keys
from runlens.semconv.copies import sent_attributes
from runlens.semconv.pricing import PriceTable
from runlens.semconv.records import Attributes
from tests.semconv.test_mapping_rules import CHAT, mapped, span

MESSAGES = json.dumps(
    [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief and exact. " * 8}]},
        {"role": "user", "parts": [{"type": "text", "content": "What is the weather? " * 10}]},
    ]
)  # json.dumps' defaults: ", " and ": ", as instrumentations send it
ANSWER = json.dumps(
    [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "Sunny, 21 degrees in Paris today. " * 6}],
            "finish_reason": "stop",
        }
    ]
)
ARGUMENTS = json.dumps({"city": "Paris", "units": "metric", "query": "weather " * 12})
RESULT = "sunny and 21 degrees"


def dual_chat() -> Attributes:
    return {
        **CHAT,
        "gen_ai.input.messages": MESSAGES,
        "gen_ai.output.messages": ANSWER,
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4o-mini",
        "input.value": MESSAGES,
        "input.mime_type": "application/json",
        "output.value": ANSWER,
    }


def dual_tool() -> Attributes:
    return {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "weather",
        "gen_ai.tool.call.arguments": ARGUMENTS,
        "gen_ai.tool.call.result": RESULT,
        "openinference.span.kind": "TOOL",
        "input.value": ARGUMENTS,
        "output.value": RESULT,
    }


def test_json_compact_enough_is_stored_as_sent(prices: PriceTable) -> None:
    chat = mapped(span(dual_chat()), prices)
    assert (chat.input, chat.output) == (MESSAGES, ANSWER)
    tool = mapped(span(dual_tool()), prices)
    assert (tool.input, tool.output) == (ARGUMENTS, json.dumps(RESULT))


def test_pretty_printed_json_is_written_compactly(prices: PriceTable) -> None:
    compact = json.dumps(json.loads(MESSAGES), separators=(",", ":"))
    for pretty in (json.dumps(json.loads(MESSAGES), indent=2), MESSAGES.replace(", ", ",\t")):
        chat = mapped(span({**CHAT, "gen_ai.input.messages": pretty}), prices)
        assert chat.input == compact
    arguments = json.dumps({"a": 1, "b": [1, 2]}, indent=1)
    tool = mapped(
        span({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.arguments": arguments}),
        prices,
    )
    assert tool.input == '{"a":1,"b":[1,2]}'


def test_copies_of_the_payload_are_stored_once_and_rebuilt(prices: PriceTable) -> None:
    for attributes in (dual_chat(), dual_tool()):
        record = mapped(span(attributes), prices)
        stored = record.attributes
        assert "input.value" not in stored and "output.value" not in stored
        assert not any(
            key.startswith("gen_ai.") and key.endswith(("messages", "arguments", "result"))
            for key in stored
        )
        rebuilt = sent_attributes(record)
        assert rebuilt["input.value"] == attributes["input.value"]
        assert rebuilt["output.value"] == attributes["output.value"]  # plain text as sent
        assert keys.RUNLENS_PAYLOAD_COPIES not in rebuilt
        # what the attributes showed before: everything but the key the column came from
        sources = {"gen_ai.input.messages", "gen_ai.output.messages"} | {
            "gen_ai.tool.call.arguments",
            "gen_ai.tool.call.result",
        }
        expected = {k: v for k, v in attributes.items() if k not in sources}
        assert {k: v for k, v in rebuilt.items() if k in expected} == {
            k: v if isinstance(v, str) else json.dumps(v) for k, v in expected.items()
        }
        assert set(rebuilt) == set(expected)


def test_a_payload_key_that_differs_stays(prices: PriceTable) -> None:
    request = json.dumps({"model": "gpt-4o-mini", "messages": json.loads(MESSAGES)})
    record = mapped(span({**dual_chat(), "input.value": request}), prices)
    assert record.attributes["input.value"] == request
    assert "output.value" not in record.attributes
    assert json.loads(record.attributes[keys.RUNLENS_PAYLOAD_COPIES]) == {"output.value": "output"}
    assert sent_attributes(record)["input.value"] == request


def test_a_sender_cannot_claim_copies(prices: PriceTable) -> None:
    claim = json.dumps({"secret.key": "input"})
    record = mapped(
        span({**CHAT, "gen_ai.input.messages": MESSAGES, keys.RUNLENS_PAYLOAD_COPIES: claim}),
        prices,
    )
    assert keys.RUNLENS_PAYLOAD_COPIES not in record.attributes
    assert "secret.key" not in sent_attributes(record)


def test_dual_spans_store_no_more_than_single_ones(prices: PriceTable) -> None:
    for dual in (dual_chat(), dual_tool()):
        single = {
            k: v
            for k, v in dual.items()
            if not k.startswith(("openinference.", "llm.", "input.", "output."))
        }
        one, two = mapped(span(single), prices), mapped(span(dual), prices)
        assert (one.input, one.output) == (two.input, two.output)
        size = sum(len(k) + len(v) for k, v in two.attributes.items())
        assert size < sum(len(k) + len(v) for k, v in one.attributes.items()) + 200
