"""Which tool execution ran each tool call an LLM span requested."""

from __future__ import annotations

from collections.abc import Sequence

from runlens.semconv.records import SpanKind, SpanRecord


def link_tool_calls(spans: Sequence[SpanRecord]) -> dict[tuple[str, str], str]:
    """(LLM span id, requested call id) → tool execution span id.

    By call id first (within one run). Otherwise, for executions not linked by id: same run,
    same parent, same tool name, started after the requesting LLM span started; the k-th such
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
    requesters = sorted(
        (s for s in spans if s.tool_calls), key=lambda s: (s.start_time_unix_nano, s.span_id)
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
        free = sorted(
            (e for e in executions if e.span_id not in used),
            key=lambda e: (e.start_time_unix_nano, e.span_id),
        )
        for started, _, llm, call_id, name in pending:
            for execution in free:
                if (
                    execution.span_id not in used
                    and execution.run_id == llm.run_id
                    and execution.parent_span_id == llm.parent_span_id
                    and execution.tool_name == name
                    and execution.start_time_unix_nano > started
                ):
                    links[(llm.span_id, call_id)] = execution.span_id
                    used.add(execution.span_id)
                    break
    return links
