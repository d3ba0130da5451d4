"""The mutable span draft that dialect mappers fill in, and the one-pass attribute scan.

Mappers run in precedence order and only fill fields that are still empty, so the first mapper
to supply a value wins (docs/semconv.md, "Precedence").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runlens.semconv import keys
from runlens.semconv.messages import Flat, add_flat
from runlens.semconv.records import Attributes, SpanKind


@dataclass(slots=True)
class Scan:
    """What one pass over a span's attribute keys found."""

    openinference: bool = False
    openllmetry: bool = False
    pydantic_ai: bool = False
    logfire: bool = False
    genai: bool = False
    runlens: bool = False
    compaction_keys: bool = False
    oi_input: Flat = field(default_factory=dict)
    oi_output: Flat = field(default_factory=dict)
    tl_prompt: Flat = field(default_factory=dict)
    tl_completion: Flat = field(default_factory=dict)


_OI_IN = len(keys.OI_INPUT_MESSAGES_PREFIX)
_OI_OUT = len(keys.OI_OUTPUT_MESSAGES_PREFIX)
_TL_PROMPT = len(keys.GEN_AI_PROMPT_PREFIX)
_TL_COMPLETION = len(keys.GEN_AI_COMPLETION_PREFIX)


def scan(attributes: Attributes, scope_name: str, scope_version: str) -> Scan:
    found = Scan()
    for key, value in attributes.items():
        dot = key.find(".")
        head = key[:dot] if dot > 0 else key
        if head == "gen_ai":
            found.genai = True
            if (
                key.startswith(keys.GEN_AI_PROMPT_PREFIX)
                and key[_TL_PROMPT : _TL_PROMPT + 1].isdigit()
            ):
                found.openllmetry = True
                add_flat(found.tl_prompt, key[_TL_PROMPT:], value)
            elif (
                key.startswith(keys.GEN_AI_COMPLETION_PREFIX)
                and key[_TL_COMPLETION : _TL_COMPLETION + 1].isdigit()
            ):
                found.openllmetry = True
                add_flat(found.tl_completion, key[_TL_COMPLETION:], value)
            elif key in (keys.TL_IS_STREAMING, keys.TL_API_BASE, keys.TL_USAGE_REASONING_TOKENS):
                found.openllmetry = True
            elif key.startswith(keys.PAI_AGGREGATED_USAGE_PREFIX):
                found.pydantic_ai = True
        elif head == "llm":
            if key.startswith(keys.OI_INPUT_MESSAGES_PREFIX):
                add_flat(found.oi_input, key[_OI_IN:], value)
            elif key.startswith(keys.OI_OUTPUT_MESSAGES_PREFIX):
                add_flat(found.oi_output, key[_OI_OUT:], value)
            elif key in (
                keys.TL_LLM_REQUEST_TYPE,
                keys.TL_LLM_USAGE_REASONING_TOKENS,
                "llm.usage.total_tokens",
                "llm.is_streaming",
            ):
                found.openllmetry = True
        elif head == "openinference":
            found.openinference = True
        elif head == "traceloop":
            found.openllmetry = True
        elif head == "logfire":
            if key == keys.LOGFIRE_SPAN_TYPE:
                found.logfire = True
        elif head == "pydantic_ai":
            found.pydantic_ai = True
        elif head == "runlens":
            found.runlens = True
            if key.startswith(keys.RUNLENS_COMPACTION_PREFIX):
                found.compaction_keys = True
    if scope_name:
        if scope_name.startswith("openinference."):
            found.openinference = True
        elif scope_name == "pydantic-ai":
            found.pydantic_ai = True
        elif scope_name.startswith("logfire"):
            found.logfire = True
        elif (
            scope_name.startswith("opentelemetry.instrumentation.")
            and scope_version.startswith("0.")
            and "b" not in scope_version
        ):
            found.openllmetry = True
    return found


@dataclass(slots=True)
class SpanDraft:
    """Fields being collected for one SpanRecord; `fill` keeps the first non-empty value."""

    kind: SpanKind = SpanKind.OTHER
    llm_like: bool = False  # LLM call or embedding underneath (usage and cost apply)
    agent_id: str = ""
    agent_name: str = ""
    conversation_id: str = ""
    provider: str = ""
    request_model: str = ""
    response_model: str = ""
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop_reason: str = ""
    response_id: str = ""
    input_tokens: int | None = None
    cached_input: int | None = None
    cache_write: int | None = None
    output_tokens: int | None = None
    reasoning: int | None = None
    producer_cost: float | None = None
    input_messages: list[dict[str, Any]] | None = None
    output_messages: list[dict[str, Any]] | None = None
    system: dict[str, Any] | None = None
    input: str = ""
    output: str = ""
    tool_name: str = ""
    tool_call_id: str = ""
    compaction: bool = False
    # Where input / output / the message lists came from (a payload key or family prefix).
    input_source: str = ""
    output_source: str = ""
    input_messages_source: str = ""
    output_messages_source: str = ""
    input_messages_text: str | None = None  # the canonical JSON text they were parsed from
    output_messages_text: str | None = None

    def fill(self, name: str, value: Any) -> None:
        if value is None or value == "":
            return
        current = getattr(self, name)
        if current is None or current == "":
            setattr(self, name, value)

    def fill_input(self, value: str, source: str) -> None:
        """`input` from the payload key `source`, unless already set."""
        if value and not self.input:
            self.input = value
            self.input_source = source

    def fill_output(self, value: str, source: str) -> None:
        if value and not self.output:
            self.output = value
            self.output_source = source
