"""Which `SpanKind` a span is: operation name, dialect kinds, legacy request type, span name.

First match wins (docs/semconv.md, "Kinds"); summarization is decided afterwards as an
override because its signals can sit on any span.
"""

from __future__ import annotations

import re

from runlens.semconv import keys
from runlens.semconv.records import Attributes, SpanKind

_OPERATIONS: dict[str, SpanKind] = {
    "chat": SpanKind.LLM_CALL,
    "text_completion": SpanKind.LLM_CALL,
    "generate_content": SpanKind.LLM_CALL,
    "responses": SpanKind.LLM_CALL,
    "embeddings": SpanKind.EMBEDDING,
    "retrieval": SpanKind.RETRIEVAL,
    "search_memory": SpanKind.RETRIEVAL,
    "execute_tool": SpanKind.TOOL_EXECUTION,
    "create_memory": SpanKind.TOOL_EXECUTION,
    "update_memory": SpanKind.TOOL_EXECUTION,
    "upsert_memory": SpanKind.TOOL_EXECUTION,
    "delete_memory": SpanKind.TOOL_EXECUTION,
    "invoke_agent": SpanKind.AGENT,
    "create_agent": SpanKind.OTHER,
    "invoke_workflow": SpanKind.OTHER,
    "plan": SpanKind.OTHER,
    "execute_task": SpanKind.OTHER,
    "compact_context": SpanKind.SUMMARIZATION,
}

_OPENINFERENCE: dict[str, SpanKind] = {
    "LLM": SpanKind.LLM_CALL,
    "TOOL": SpanKind.TOOL_EXECUTION,
    "AGENT": SpanKind.AGENT,
    "CHAIN": SpanKind.OTHER,
    "RETRIEVER": SpanKind.RETRIEVAL,
    "RERANKER": SpanKind.RETRIEVAL,
    "EMBEDDING": SpanKind.EMBEDDING,
    "GUARDRAIL": SpanKind.OTHER,
    "EVALUATOR": SpanKind.OTHER,
    "PROMPT": SpanKind.OTHER,
    "DECISION": SpanKind.OTHER,
}

_TRACELOOP: dict[str, SpanKind] = {
    "workflow": SpanKind.OTHER,
    "task": SpanKind.OTHER,
    "agent": SpanKind.AGENT,
    "tool": SpanKind.TOOL_EXECUTION,
}

_REQUEST_TYPE: dict[str, SpanKind] = {
    "chat": SpanKind.LLM_CALL,
    "completion": SpanKind.LLM_CALL,
    "embedding": SpanKind.EMBEDDING,
    "rerank": SpanKind.RETRIEVAL,
}

_EXACT_NAMES: dict[str, SpanKind] = {
    "openai.chat": SpanKind.LLM_CALL,
    "openai.completion": SpanKind.LLM_CALL,
    "openai.response": SpanKind.LLM_CALL,
    "openai.embeddings": SpanKind.EMBEDDING,
    "ChatCompletion": SpanKind.LLM_CALL,
    "Completion": SpanKind.LLM_CALL,
    "Response": SpanKind.LLM_CALL,
}

_NAME_PREFIXES: tuple[tuple[str, SpanKind], ...] = (
    ("chat ", SpanKind.LLM_CALL),
    ("text_completion ", SpanKind.LLM_CALL),
    ("generate_content ", SpanKind.LLM_CALL),
    ("embeddings ", SpanKind.EMBEDDING),
    ("Chat Completion with ", SpanKind.LLM_CALL),
    ("Responses API with ", SpanKind.LLM_CALL),
    ("Embedding Creation with ", SpanKind.EMBEDDING),
    ("invoke_agent ", SpanKind.AGENT),
    ("execute_tool ", SpanKind.TOOL_EXECUTION),
)

_NAME_SUFFIXES: tuple[tuple[str, SpanKind], ...] = (
    (".tool", SpanKind.TOOL_EXECUTION),
    (".agent", SpanKind.AGENT),
    (".workflow", SpanKind.OTHER),
    (".task", SpanKind.OTHER),
)

SUMMARIZING_NAME = re.compile(r"summar|compact|condense", re.IGNORECASE)
"""Low-confidence heuristic for agent/chain spans that summarize history."""


def base_kind(attributes: Attributes, name: str) -> SpanKind:
    """The kind before the summarization override (§ "Kinds", rules 1-6)."""
    operation = attributes.get(keys.GEN_AI_OPERATION_NAME)
    if isinstance(operation, str) and operation in _OPERATIONS:
        return _OPERATIONS[operation]
    oi_kind = attributes.get(keys.OI_SPAN_KIND)
    if isinstance(oi_kind, str) and oi_kind.upper() in _OPENINFERENCE:
        return _OPENINFERENCE[oi_kind.upper()]
    tl_kind = attributes.get(keys.TL_SPAN_KIND)
    if isinstance(tl_kind, str) and tl_kind in _TRACELOOP:
        return _TRACELOOP[tl_kind]
    request_type = attributes.get(keys.TL_LLM_REQUEST_TYPE)
    if isinstance(request_type, str) and request_type in _REQUEST_TYPE:
        return _REQUEST_TYPE[request_type]
    return kind_from_name(name)


_CHAIN_OPERATIONS = ("invoke_workflow", "execute_task", "plan")  # tuples: values may be unhashable
_CHAIN_TRACELOOP = ("workflow", "task")


def is_chain(attributes: Attributes) -> bool:
    """A workflow, chain or task span in any dialect (OpenInference kinds in any case, as
    `base_kind` reads them)."""
    oi_kind = attributes.get(keys.OI_SPAN_KIND)
    return (
        attributes.get(keys.GEN_AI_OPERATION_NAME) in _CHAIN_OPERATIONS
        or (isinstance(oi_kind, str) and oi_kind.upper() == "CHAIN")
        or attributes.get(keys.TL_SPAN_KIND) in _CHAIN_TRACELOOP
    )


def kind_from_name(name: str) -> SpanKind:
    exact = _EXACT_NAMES.get(name)
    if exact is not None:
        return exact
    for prefix, kind in _NAME_PREFIXES:
        if name.startswith(prefix):
            return kind
    for suffix, kind in _NAME_SUFFIXES:
        if name.endswith(suffix):
            return kind
    return SpanKind.OTHER


def summarizing_name(name: str, agent_name: str) -> bool:
    """The name heuristic; the caller applies it to agent and chain spans only."""
    return bool(
        SUMMARIZING_NAME.search(name) or (agent_name and SUMMARIZING_NAME.search(agent_name))
    )
