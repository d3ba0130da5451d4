"""Which tool execution ran each tool call an LLM span requested, and the call id a tool
execution carries in its payload when no attribute names it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from runlens.semconv.coerce import loads
from runlens.semconv.counting import counted_calls, is_agent
from runlens.semconv.records import SpanKind, SpanRecord

_CALL_ID_MARK = "tool_call_id"


def call_id_in(payload: str) -> str:
    """The tool-call id a tool execution's input or output carries: `tool_call_id` of a
    message (LangChain's serialized `ToolMessage`: `{"type": "tool", "data": {...}}`), or the
    `id` of a `{"type": "tool_call"}` request; "" when there is none."""
    if _CALL_ID_MARK not in payload and '"tool_call"' not in payload:
        return ""
    value = loads(payload)
    for candidate in (value, value.get("data") if isinstance(value, dict) else None):
        if isinstance(candidate, dict):
            found = candidate.get(_CALL_ID_MARK)
            if isinstance(found, str) and found:
                return found
            if candidate.get("type") == "tool_call" and isinstance(candidate.get("id"), str):
                return str(candidate["id"])
    return ""


def link_tool_calls(spans: Sequence[SpanRecord]) -> dict[tuple[str, str], str]:
    """(LLM span id, requested call id) → tool execution span id.

    By call id first (within one run), counted calls before the calls that wrap them.
    Otherwise, for executions not linked by id: same run,
    same agent (the nearest agent span above both, else the same topmost known ancestor: the
    LLM call and the tool may sit in sibling subtrees, as LangGraph's `model` and `tools`
    chains), same tool name, started after the requesting LLM span started; the k-th such
    request goes to the k-th such execution.
    """
    executions = [s for s in spans if s.kind is SpanKind.TOOL_EXECUTION]
    by_call_id: dict[tuple[str, str], SpanRecord] = {}
    for execution in executions:
        if execution.tool_call_id:
            by_call_id.setdefault((execution.run_id, execution.tool_call_id), execution)

    links: dict[tuple[str, str], str] = {}
    used: set[str] = set()
    pending: list[tuple[int, int, SpanRecord, str, str]] = []
    # Counted calls first: a call that wraps another (stacked instrumentation) requests the
    # same tool calls as the call it wraps, and the execution goes to the call the run counts.
    counted = counted_calls(spans)
    requesters = sorted(
        (s for s in spans if s.tool_calls),
        key=lambda s: (s.span_id not in counted, s.start_time_unix_nano, s.span_id),
    )
    for llm in requesters:
        for position, call in enumerate(llm.tool_calls):
            match = by_call_id.get((llm.run_id, call.id)) if call.id else None
            if match is not None and match.span_id not in used:
                links[(llm.span_id, call.id)] = match.span_id
                used.add(match.span_id)
            else:
                pending.append((llm.start_time_unix_nano, position, llm, call.id, call.name))

    if pending:
        by_id = {s.span_id: s for s in spans}
        free = sorted(
            (e for e in executions if e.span_id not in used),
            key=lambda e: (e.start_time_unix_nano, e.span_id),
        )
        scopes = {e.span_id: _agent_scope(e, by_id) for e in free}
        for started, _, llm, call_id, name in pending:
            scope = _agent_scope(llm, by_id)
            for execution in free:
                if (
                    execution.span_id not in used
                    and execution.run_id == llm.run_id
                    and scopes[execution.span_id] == scope
                    and execution.tool_name == name
                    and execution.start_time_unix_nano > started
                ):
                    links[(llm.span_id, call_id)] = execution.span_id
                    used.add(execution.span_id)
                    break
    return links


def _agent_scope(span: SpanRecord, by_id: Mapping[str, SpanRecord]) -> str:
    """The id of the nearest agent span (or summarizing agent) above `span`, else the parent
    id of its topmost known ancestor (its own parent id when that is not among the spans)."""
    seen = {span.span_id}
    parent_id = span.parent_span_id
    parent = by_id.get(parent_id)
    while parent is not None and parent.span_id not in seen:
        if is_agent(parent.kind, parent.cost_source):
            return parent.span_id
        seen.add(parent.span_id)
        parent_id = parent.parent_span_id
        parent = by_id.get(parent_id)
    return parent_id
