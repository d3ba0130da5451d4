"""A run's summary from its current spans, by the rules of the ClickHouse recompute
(storage/clickhouse/queries.py, RECOMPUTE_SUMMARIES) and the counting rules of
`semconv.counting`, and the summary of a run closed as lost."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

from runlens.semconv.counting import RunShape, has_failing_agent, is_llm_call, uncounted_calls
from runlens.semconv.records import CostSource, SpanKind, SpanRecord, SpanStatus
from runlens.storage.commands import CommandKind, CommandState, ControlCommand
from runlens.storage.contract import LOST_REASON, RunStatus, RunSummary

_SHAPE_KINDS = frozenset(
    {SpanKind.LLM_CALL, SpanKind.SUMMARIZATION, SpanKind.AGENT, SpanKind.OTHER}
)
_INVOKE = "invoke_agent "


@dataclass(frozen=True, slots=True)
class StoredSummary:
    """A summary as the memory store keeps it: with the commit sequence up to which every
    write was stored when it was computed (`SummaryWriter.stale_runs` compares with it)."""

    summary: RunSummary
    spans_seq: int


@dataclass(frozen=True, slots=True)
class Termination:
    """An applied terminate command of a run: its reason and when it applied (ns)."""

    reason: str
    at_ns: int


def termination(commands: Sequence[ControlCommand]) -> Termination | None:
    """The run's latest applied terminate command, if any (commands in their latest state)."""
    applied = [
        c for c in commands if c.kind is CommandKind.TERMINATE and c.state is CommandState.APPLIED
    ]
    if not applied:
        return None
    last = max(applied, key=lambda c: c.updated_at_us)
    try:
        reason = json.loads(last.payload).get("reason", "")
    except (ValueError, AttributeError):
        reason = ""
    return Termination(reason if isinstance(reason, str) else "", last.updated_at_us * 1000)


def shape_of(spans: Sequence[SpanRecord]) -> RunShape:
    """What the counting rules read: LLM calls, agents, summarizations, `other` spans, roots."""
    return RunShape.of([s for s in spans if s.kind in _SHAPE_KINDS or not s.parent_span_id])


def _first(spans: Sequence[SpanRecord], value: str) -> str:
    """`value` of the earliest span (start, then id) where it is set."""
    for span in spans:
        found: str = getattr(span, value)
        if found:
            return found
    return ""


def summarise(
    project_id: str,
    run_id: str,
    spans: Sequence[SpanRecord],
    terminated: Termination | None,
    now_ns: int,
) -> RunSummary:
    """The summary of a run with at least one span."""
    spans = sorted(spans, key=lambda s: (s.start_time_unix_nano, s.span_id))
    roots = [s for s in spans if not s.parent_span_id]
    agents = [s for s in roots if s.kind is SpanKind.AGENT]
    root_agent = agents[0].name.removeprefix(_INVOKE) if agents else ""
    named = roots or [s for s in spans if s.kind is SpanKind.AGENT]
    agent_id, agent_name, service = (
        _first(spans, f) for f in ("agent_id", "agent_name", "service_name")
    )
    ended = [s for s in roots if s.status is not SpanStatus.RUNNING]
    shape = shape_of(spans)
    uncounted = uncounted_calls(shape)
    llm = [s for s in spans if is_llm_call(s.kind.value, s.cost_source.value)]
    counted = [s for s in llm if s.span_id not in uncounted]
    actions = counted + [s for s in spans if s.kind is SpanKind.TOOL_EXECUTION]
    errors = sorted(
        (s for s in spans if s.status is SpanStatus.ERROR),
        key=lambda s: (bool(s.parent_span_id), s.start_time_unix_nano, s.span_id),
    )
    if terminated is not None:
        status = RunStatus.TERMINATED
    elif not ended:
        status = RunStatus.RUNNING
    elif any(s.status is SpanStatus.ERROR for s in ended) or has_failing_agent(shape):
        status = RunStatus.FAILED
    else:
        status = RunStatus.COMPLETED
    if ended:
        ended_at = max(s.end_time_unix_nano for s in ended)
    else:
        ended_at = terminated.at_ns if terminated is not None else 0
    activity = max(max(s.end_time_unix_nano, s.start_time_unix_nano) for s in spans)
    return RunSummary(
        project_id=project_id,
        run_id=run_id,
        agent_id=agent_id or agent_name or root_agent or service,
        agent_name=agent_name or agent_id or root_agent or service,
        name=named[0].name if named else "",
        status=status,
        status_reason=terminated.reason if terminated is not None else "",
        started_at_unix_nano=spans[0].start_time_unix_nano,
        ended_at_unix_nano=ended_at,
        last_activity_unix_nano=max(activity, now_ns),
        span_count=len(spans),
        action_count=len(actions),
        action_ok_count=sum(s.status is SpanStatus.OK for s in actions),
        error_count=len(errors),
        turns=len(counted),
        input_tokens=sum(s.usage.input for s in counted),
        cached_tokens=sum(s.usage.cached_input for s in counted),
        cache_write_tokens=sum(s.usage.cache_write for s in counted),
        output_tokens=sum(s.usage.output for s in counted),
        reasoning_tokens=sum(s.usage.reasoning for s in counted),
        cost_usd=sum(s.cost_usd or 0.0 for s in counted),
        unpriced_count=sum(s.cost_source is CostSource.UNPRICED for s in counted),
        error_type=errors[0].error_type if errors else "",
        error_message=errors[0].error_message if errors else "",
        models=tuple(sorted({s.model for s in llm if s.model})),
    )


def closed_as_lost(summary: RunSummary, idle_seconds: float) -> RunSummary:
    """A running run closed by the inactivity timeout: failed, ended at its last activity."""
    return replace(
        summary,
        status=RunStatus.FAILED,
        status_reason=LOST_REASON,
        ended_at_unix_nano=summary.last_activity_unix_nano,
        error_type=LOST_REASON,
        error_message=f"no activity for {idle_seconds:g} s",
    )
