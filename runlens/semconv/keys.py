"""The attribute keys the mappers read, grouped by dialect, and runlens' own `runlens.*` keys.

docs/semconv.md explains how each maps. Keys that appear only as prefixes of flattened families
end with a dot.
"""

from __future__ import annotations

# --- runlens' own keys -------------------------------------------------------------------------
RUNLENS_RUN_ID = "runlens.run.id"
"""Run id override (span or resource attribute); default run id is the trace id."""
RUNLENS_SPAN_STATE = "runlens.span.state"
"""`started` marks a start marker: the span is running, a later export with its id ends it."""
RUNLENS_SPAN_STATE_STARTED = "started"
"""The value of `runlens.span.state` on a start marker."""
RUNLENS_ACTION_OUTCOME = "runlens.action.outcome"
"""How an action ended when not by running normally: `blocked` or `replayed`."""
RUNLENS_REPLAY_OF = "runlens.replay.of"
"""On a replayed run: the id of the original run."""
RUNLENS_RETRIGGER_OF = "runlens.retrigger.of"
"""On a run started by `retriggerRun`: the id of the run it repeats (kept in `attributes`)."""
RUNLENS_COMPACTION_MESSAGES_BEFORE = "runlens.compaction.messages_before"
"""Number of messages before compaction."""
RUNLENS_COMPACTION_MESSAGES_AFTER = "runlens.compaction.messages_after"
"""Number of messages after compaction."""
RUNLENS_COMPACTION_TOKENS_BEFORE = "runlens.compaction.tokens_before"
"""Context size in tokens before compaction."""
RUNLENS_COMPACTION_TOKENS_AFTER = "runlens.compaction.tokens_after"
"""Context size in tokens after compaction."""
RUNLENS_COMPACTION_PREFIX = "runlens.compaction."
"""Any key under this prefix marks the span as a summarization."""
RUNLENS_OUTPUT_STREAM = "runlens.output.stream"
"""On a log record: `stdout` or `stderr` (a chunk of a tool's terminal output) or `model` (a chunk
of an LLM call's streamed text)."""
RUNLENS_OUTPUT_SEQ = "runlens.output.seq"
"""On an output chunk: its position in the (span, stream) sequence."""
RUNLENS_OUTPUT_EOF = "runlens.output.eof"
"""On an output chunk: true on the last chunk of the stream."""
RUNLENS_BUDGET_USD = "runlens.budget.usd"
"""On a run's root span: spending limit in USD after which the run may be terminated."""
RUNLENS_REDACTION_COUNT = "runlens.redaction.count"
"""Set by runlens: how many values or matches were redacted in the record (docs/redaction.md)."""
RUNLENS_REDACTION_RULES = "runlens.redaction.rules"
"""Set by runlens: JSON array of the redaction rules that fired, sorted."""
RUNLENS_LOG_EVENTS_MERGED = "runlens.log_events.merged"
"""Set by runlens on an LLM span: how many of its GenAI log events ingest merged into it (they
arrived with it); readers merge only when the span has more."""
RUNLENS_LIMITS_DROPPED_ATTRIBUTES = "runlens.limits.dropped_attributes"
"""Set by runlens: attributes dropped past the per-span (or per-record) limit."""
RUNLENS_LIMITS_DROPPED_EVENTS = "runlens.limits.dropped_events"
"""Set by runlens: span events dropped past the per-span limit."""
RUNLENS_PAYLOAD_COPIES = "runlens.payload.copies"
"""Set by runlens: JSON object naming the payload keys left out of `attributes` because their
value is the span's `input` or `output` as stored (`semconv.copies`); never taken from a sender."""

# --- OpenTelemetry resource, status and code location ----------------------------------------
SERVICE_NAME = "service.name"
"""Resource: the service that emitted the telemetry (fallback agent identity)."""
ERROR_TYPE = "error.type"
"""Low-cardinality error class (spec); may be a Python class repr from some emitters."""
EXCEPTION_EVENT = "exception"
"""Span event name for a recorded exception."""
EXCEPTION_TYPE = "exception.type"
"""Exception event: the exception class."""
EXCEPTION_MESSAGE = "exception.message"
"""Exception event: the exception message."""
CODE_FILEPATH = "code.filepath"
"""Deprecated source file path."""
CODE_FILE_PATH = "code.file.path"
"""Current source file path."""
CODE_FUNCTION = "code.function"
"""Deprecated function name."""
CODE_FUNCTION_NAME = "code.function.name"
"""Current function name."""
CODE_LINENO = "code.lineno"
"""Deprecated line number."""
CODE_LINE_NUMBER = "code.line.number"
"""Current line number."""

# --- OpenTelemetry GenAI, current names ------------------------------------------------------
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
"""Span type discriminator (`chat`, `execute_tool`, `invoke_agent`, ...)."""
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
"""API flavour / provider (`openai`, `anthropic`, ...)."""
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
"""Model asked for."""
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
"""Model that answered (often a dated snapshot)."""
GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature"
"""Sampling temperature."""
GEN_AI_REQUEST_TOP_P = "gen_ai.request.top_p"
"""Nucleus sampling parameter."""
GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
"""Output token limit."""
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
"""Finish reason per choice (string array)."""
GEN_AI_RESPONSE_ID = "gen_ai.response.id"
"""Provider response id."""
GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id"
"""Conversation / session / thread id."""
GEN_AI_CONVERSATION_COMPACTED = "gen_ai.conversation.compacted"
"""True on an inference span whose input was compacted."""
GEN_AI_AGENT_ID = "gen_ai.agent.id"
"""Agent id."""
GEN_AI_AGENT_NAME = "gen_ai.agent.name"
"""Agent name."""
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
"""Input tokens, cached and cache-write tokens included."""
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
"""Output tokens, reasoning included."""
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens"
"""Input tokens served from the provider cache."""
GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS = "gen_ai.usage.cache_write.input_tokens"
"""Input tokens written to the provider cache."""
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = "gen_ai.usage.reasoning.output_tokens"
"""Reasoning tokens (spec name; no captured library emits it yet)."""
GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"
"""Input messages (JSON string on spans, structured on events)."""
GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"
"""Output messages, one per choice."""
GEN_AI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
"""System instructions as a list of parts."""
GEN_AI_TOOL_NAME = "gen_ai.tool.name"
"""Tool name on an execute_tool span."""
GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id"
"""Tool call id on an execute_tool span."""
GEN_AI_TOOL_CALL_ARGUMENTS = "gen_ai.tool.call.arguments"
"""Tool call arguments."""
GEN_AI_TOOL_CALL_RESULT = "gen_ai.tool.call.result"
"""Tool call result."""
GEN_AI_INFERENCE_DETAILS_EVENT = "gen_ai.client.inference.operation.details"
"""Log event carrying the structured content of one inference (GenAI >= 1.37)."""

# --- OpenTelemetry GenAI, deprecated names ---------------------------------------------------
GEN_AI_SYSTEM = "gen_ai.system"
"""Deprecated provider name (-> gen_ai.provider.name)."""
GEN_AI_USAGE_PROMPT_TOKENS = "gen_ai.usage.prompt_tokens"
"""Deprecated input tokens."""
GEN_AI_USAGE_COMPLETION_TOKENS = "gen_ai.usage.completion_tokens"
"""Deprecated output tokens."""
GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = "gen_ai.usage.cache_creation.input_tokens"
"""Earlier name of cache_write.input_tokens."""
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS_OLD = "gen_ai.usage.cache_read_input_tokens"
"""Pre-spec underscore form of cache_read.input_tokens."""
GEN_AI_PROMPT_PREFIX = "gen_ai.prompt."
"""Flattened legacy input messages `gen_ai.prompt.{i}.{role,content,tool_call_id,tool_calls...}`."""
GEN_AI_COMPLETION_PREFIX = "gen_ai.completion."
"""Flattened legacy output messages `gen_ai.completion.{i}.*`."""
GEN_AI_CHOICE_EVENT = "gen_ai.choice"
"""Per-choice log event (GenAI <= 1.36)."""

# --- OpenInference -----------------------------------------------------------------------------
OI_SPAN_KIND = "openinference.span.kind"
"""LLM, TOOL, AGENT, CHAIN, RETRIEVER, EMBEDDING, RERANKER, ..."""
OI_LLM_PROVIDER = "llm.provider"
"""Provider (inferred from the client's host)."""
OI_LLM_SYSTEM = "llm.system"
"""AI system (`openai`)."""
OI_LLM_MODEL_NAME = "llm.model_name"
"""Model name (the response model when known)."""
OI_LLM_REQUEST_MODEL_NAME = "llm.request.model_name"
"""Request model (newer)."""
OI_LLM_RESPONSE_MODEL_NAME = "llm.response.model_name"
"""Response model (newer)."""
OI_LLM_INVOCATION_PARAMETERS = "llm.invocation_parameters"
"""Request parameters as one JSON string."""
OI_LLM_FINISH_REASON = "llm.finish_reason"
"""Finish reason (single string)."""
OI_TOKEN_PROMPT = "llm.token_count.prompt"
"""Input tokens (cached included)."""
OI_TOKEN_COMPLETION = "llm.token_count.completion"
"""Output tokens (reasoning included)."""
OI_TOKEN_CACHE_READ = "llm.token_count.prompt_details.cache_read"
"""Cached input tokens."""
OI_TOKEN_CACHE_WRITE = "llm.token_count.prompt_details.cache_write"
"""Cache-write input tokens."""
OI_TOKEN_REASONING = "llm.token_count.completion_details.reasoning"
"""Reasoning tokens."""
OI_COST_TOTAL = "llm.cost.total"
"""Producer cost in USD."""
OI_INPUT_MESSAGES_PREFIX = "llm.input_messages."
"""Flattened input messages `llm.input_messages.{i}.message.*`."""
OI_OUTPUT_MESSAGES_PREFIX = "llm.output_messages."
"""Flattened output messages `llm.output_messages.{i}.message.*`."""
OI_INPUT_VALUE = "input.value"
"""Raw input (request JSON, tool arguments, chain input)."""
OI_OUTPUT_VALUE = "output.value"
"""Raw output (response JSON, tool result, chain output)."""
OI_TOOL_NAME = "tool.name"
"""Tool name on a TOOL span."""
OI_TOOL_ID = "tool.id"
"""Tool call id on a TOOL span (defined, rarely emitted)."""
OI_AGENT_NAME = "agent.name"
"""Agent name."""
OI_SESSION_ID = "session.id"
"""Session / conversation id."""
OI_METADATA = "metadata"
"""Run metadata as a JSON object (LangChain copies its run metadata here on every span)."""
AGENT_NAME_METADATA = ("lc_agent_name", "agent_name")
"""Metadata keys that name the agent: LangChain `create_agent(name=...)`, then a generic one."""
TL_ASSOCIATION_PREFIX = "traceloop.association.properties."
"""OpenLLMetry association properties (LangChain run metadata is copied under it)."""

# --- OpenLLMetry / Traceloop -------------------------------------------------------------------
TL_SPAN_KIND = "traceloop.span.kind"
"""workflow, task, agent, tool, unknown."""
TL_ENTITY_NAME = "traceloop.entity.name"
"""Decorated entity name (agent name on agent spans)."""
TL_ENTITY_INPUT = "traceloop.entity.input"
"""Entity input JSON."""
TL_ENTITY_OUTPUT = "traceloop.entity.output"
"""Entity output JSON."""
TL_CONVERSATION_KEYS = (
    "traceloop.association.properties.conversation_id",
    "traceloop.association.properties.session_id",
    "traceloop.association.properties.thread_id",
)
"""Association properties that name a conversation, in order of preference."""
TL_LLM_REQUEST_TYPE = "llm.request.type"
"""Legacy: chat, completion, embedding, rerank."""
TL_USAGE_REASONING_TOKENS = "gen_ai.usage.reasoning_tokens"
"""Non-spec reasoning tokens (0.5x+)."""
TL_LLM_USAGE_REASONING_TOKENS = "llm.usage.reasoning_tokens"
"""Legacy non-spec reasoning tokens."""
TL_IS_STREAMING = "gen_ai.is_streaming"
"""Streaming flag (OpenLLMetry extension; detection only)."""
TL_API_BASE = "gen_ai.openai.api_base"
"""Endpoint URL (OpenLLMetry extension; detection only)."""

# --- pydantic-ai and Logfire -------------------------------------------------------------------
PAI_USAGE_REASONING_TOKENS = "gen_ai.usage.details.reasoning_tokens"
"""pydantic-ai raw reasoning tokens on the chat span."""
PAI_USAGE_CACHE_READ_TOKENS = "gen_ai.usage.details.cache_read_tokens"
"""pydantic-ai raw cache-read tokens on the chat span."""
PAI_AGGREGATED_USAGE_PREFIX = "gen_ai.aggregated_usage."
"""Run roll-up on the agent span: never summed (would double count)."""
PAI_FINAL_RESULT = "final_result"
"""Agent span: the run's final output."""
PAI_ALL_MESSAGES = "pydantic_ai.all_messages"
"""Agent span: the whole conversation of the run."""
PAI_AGENT_NAME = "agent_name"
"""Legacy agent name."""
PAI_MODEL_NAME = "model_name"
"""Agent span: the agent's model."""
OPERATION_COST = "operation.cost"
"""Producer cost in USD (pydantic-ai / Logfire, from genai-prices)."""
LOGFIRE_SPAN_TYPE = "logfire.span_type"
"""`span`, `log`, or `pending_span` (a start marker)."""
LOGFIRE_PENDING_SPAN = "pending_span"
"""The `logfire.span_type` of a pending span."""
LOGFIRE_PENDING_PARENT_ID = "logfire.pending_parent_id"
"""On a pending span: the real span's parent id (the pending span's parent is the real span)."""
LOGFIRE_REQUEST_DATA = "request_data"
"""instrument_openai(): request JSON (only `{model}`)."""
LOGFIRE_USAGE_RAW = "gen_ai.usage.raw"
"""instrument_openai(): the provider's usage object as JSON (cached/reasoning details)."""

# --- Payload keys ------------------------------------------------------------------------------
# Content a mapper moves into a span's `input` / `output`. When a span's input or output came
# from one of them, that key is left out of the span's stored `attributes` (the content is
# stored once); when it did not (e.g. `output.value` on an OpenInference LLM span, whose output
# comes from `llm.output_messages.*`), the key stays. docs/semconv.md lists them.
PAYLOAD_KEYS = (
    GEN_AI_INPUT_MESSAGES,
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_SYSTEM_INSTRUCTIONS,
    GEN_AI_TOOL_CALL_ARGUMENTS,
    GEN_AI_TOOL_CALL_RESULT,
    OI_INPUT_VALUE,
    OI_OUTPUT_VALUE,
    TL_ENTITY_INPUT,
    TL_ENTITY_OUTPUT,
    PAI_ALL_MESSAGES,
    PAI_FINAL_RESULT,
)
"""Single payload keys."""
PAYLOAD_INPUT_KEYS = frozenset(
    {
        GEN_AI_INPUT_MESSAGES,
        GEN_AI_TOOL_CALL_ARGUMENTS,
        OI_INPUT_VALUE,
        TL_ENTITY_INPUT,
        PAI_ALL_MESSAGES,
    }
)
"""Payload keys that hold a span's input (the others but `gen_ai.system_instructions`, its
output): a copy of the input under one of them is left out of `attributes`."""
PAYLOAD_OUTPUT_KEYS = frozenset(
    {
        GEN_AI_OUTPUT_MESSAGES,
        GEN_AI_TOOL_CALL_RESULT,
        OI_OUTPUT_VALUE,
        TL_ENTITY_OUTPUT,
        PAI_FINAL_RESULT,
    }
)
PAYLOAD_FAMILIES = (
    OI_INPUT_MESSAGES_PREFIX,
    OI_OUTPUT_MESSAGES_PREFIX,
    GEN_AI_PROMPT_PREFIX,
    GEN_AI_COMPLETION_PREFIX,
)
"""Flattened message families: of these, only the message fields the mappers read (role,
content, text contents, tool call id/name/arguments, tool_call_id, name, finish_reason) are
payload; anything else under the prefix (e.g. an image URL) stays in `attributes`."""
