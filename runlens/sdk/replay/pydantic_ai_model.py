"""A pydantic-ai model that, in a replay, answers from the recorded LLM calls.

    settings = InstrumentationSettings(tracer_provider=provider)
    agent = Agent(ReplayModel(model, settings), capabilities=[Instrumentation(settings=settings)])

Outside a replay it is the wrapped model. In a replay each request is matched, by the name of
pydantic-ai's `chat <model>` span and the input runlens stores for it, with the next recorded
LLM call: served requests return the recorded response (text, tool calls, thinking) with usage
0 and their span gets `runlens.action.outcome = replayed`; requests run live go to the wrapped
model. Streamed requests are not served (they go to the wrapped model). The agent must be
instrumented the same way in the recording and in the replay, with the settings given here.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from pydantic_ai.messages import (
    FinishReason,
    InstructionPart,
    ModelMessage,
    ModelResponse,
    ModelResponsePart,
    TextPart,
    ThinkingPart,
    ToolCallPart,
)
from pydantic_ai.models import Model, ModelRequestParameters
from pydantic_ai.models.instrumented import InstrumentationSettings
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings
from pydantic_core import to_json

from runlens.sdk.replay.recording import Channel, RecordedAction
from runlens.sdk.replay.session import current
from runlens.sdk.replay.tracing import (
    SpanAttributes,
    current_chat_span_name,
    mark_replayed,
    stored_input,
)
from runlens.semconv import keys

PYDANTIC_AI_SCOPE = "pydantic-ai"
_FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "content_filter": "content_filter",
    "tool_call": "tool_call",
    "error": "error",
}


def input_attributes(
    messages: list[ModelMessage],
    parameters: ModelRequestParameters,
    settings: InstrumentationSettings,
) -> SpanAttributes:
    """The input attributes pydantic-ai's instrumentation records for this request."""
    attributes: SpanAttributes = {
        keys.GEN_AI_OPERATION_NAME: "chat",
        keys.GEN_AI_INPUT_MESSAGES: to_json(settings.messages_to_otel_messages(messages)).decode(),
    }
    instructions = InstructionPart.join(parameters.instruction_parts or ())
    attributes.update(settings.system_instructions_attributes(instructions))
    return attributes


def _part(part: dict[str, Any]) -> ModelResponsePart | None:
    kind = part.get("type")
    if kind == "text":
        return TextPart(content=str(part.get("content", "")))
    if kind == "thinking":
        return ThinkingPart(content=str(part.get("content", "")))
    if kind == "tool_call":
        arguments = part.get("arguments")
        return ToolCallPart(
            tool_name=str(part.get("name", "")),
            args=arguments if isinstance(arguments, dict | str) else None,
            tool_call_id=str(part.get("id", "")),
        )
    return None


def response_of(entry: RecordedAction) -> ModelResponse:
    """The recorded output as a pydantic-ai response (usage 0)."""
    output = entry.output if isinstance(entry.output, list) else []
    messages = [m for m in output if isinstance(m, dict)]
    parts = [
        found
        for message in messages
        for part in message.get("parts") or ()
        if isinstance(part, dict) and (found := _part(part)) is not None
    ]
    reason = str(messages[-1].get("finish_reason", "")) if messages else ""
    return ModelResponse(
        parts=parts,
        model_name=entry.attributes.get(keys.GEN_AI_RESPONSE_MODEL) or entry.model or None,
        finish_reason=_FINISH_REASONS.get(reason),
    )


class ReplayModel(WrapperModel):
    def __init__(
        self, wrapped: Model | str, instrumentation: InstrumentationSettings | None = None
    ) -> None:
        super().__init__(wrapped)
        self._instrumentation = instrumentation or InstrumentationSettings()

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        session = current()
        if session is not None:
            name = current_chat_span_name(f"chat {self.model_name}")
            attributes = input_attributes(messages, model_request_parameters, self._instrumentation)
            canonical_input = stored_input(name, attributes, PYDANTIC_AI_SCOPE)
            entry = session.decide(Channel.LLM, name, canonical_input)
            if entry is not None:
                mark_replayed(trace.get_current_span())
                return response_of(entry)
        return await super().request(messages, model_settings, model_request_parameters)
