"""A run's events as the API shows them: pure functions over the stored spans and logs.

- sequence: 1-based position of the span in start order (start time, then span id);
- LLM call content missing on the span is filled from its GenAI log events;
- tool calls are linked to the tool executions that ran them (`link_tool_calls`);
- status and outcome of an event (`event_status`, `event_outcome`), and the event filters.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from runlens.semconv.counting import counted_calls
from runlens.semconv.events import apply_log_events
from runlens.semconv.links import link_tool_calls
from runlens.semconv.records import LogRecord, SpanKind, SpanRecord, SpanStatus
from runlens.storage.contract import LOST_REASON, RunStatus, RunSummary, RunTimeline

STREAMS = ("stdout", "stderr", "model")  # output chunks: terminal output, model text
TERMINAL = ("stdout", "stderr")


@dataclass(frozen=True, slots=True)
class TimelineView:
    spans: tuple[SpanRecord, ...] = ()  # start order
    summary: RunSummary | None = None
    sequence: Mapping[str, int] = field(default_factory=dict)  # span id -> 1-based position
    by_id: Mapping[str, SpanRecord] = field(default_factory=dict)
    links: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (llm, call) -> tool
    requested_by: Mapping[str, str] = field(default_factory=dict)  # tool span -> llm span
    chunks: Mapping[str, tuple[LogRecord, ...]] = field(default_factory=dict)  # span -> output
    previous_llm: Mapping[str, str] = field(default_factory=dict)  # llm span -> previous one
    counted: Mapping[str, bool] = field(default_factory=dict)  # the run's counted LLM calls


def build_view(timeline: RunTimeline | None, summary: RunSummary | None) -> TimelineView:
    if timeline is None:
        return TimelineView(summary=summary)
    events_by_span: dict[str, list[LogRecord]] = {}
    chunks: dict[str, list[LogRecord]] = {}
    for log in timeline.logs:
        if log.stream in STREAMS:
            chunks.setdefault(log.span_id, []).append(log)
        elif log.event_name:
            events_by_span.setdefault(log.span_id, []).append(log)
    spans = tuple(apply_log_events(s, events_by_span.get(s.span_id, ())) for s in timeline.spans)
    links = link_tool_calls(spans)
    return TimelineView(
        spans=spans,
        summary=summary,
        sequence={s.span_id: i for i, s in enumerate(spans, start=1)},
        by_id={s.span_id: s for s in spans},
        links=links,
        requested_by=requested_by(links),
        chunks=sorted_chunks(chunks),
        previous_llm=previous_llm_calls(spans),
        counted=dict.fromkeys(counted_calls(spans), True),
    )


def requested_by(links: Mapping[tuple[str, str], str]) -> dict[str, str]:
    """Tool execution span -> the LLM call that requested it."""
    return {tool: llm for (llm, _), tool in links.items()}


def sorted_chunks(
    chunks: Mapping[str, Sequence[LogRecord]],
) -> dict[str, tuple[LogRecord, ...]]:
    """Each span's output chunks in order: time, then stream, then sequence number."""
    return {
        span_id: tuple(sorted(items, key=lambda c: (c.time_unix_nano, c.stream, c.seq)))
        for span_id, items in chunks.items()
    }


def previous_llm_calls(spans: Sequence[SpanRecord]) -> dict[str, str]:
    """LLM call span -> the counted LLM call before it in the run (start order): a call that
    another one wraps (stacked instrumentation) is compared with the call before, not with
    its wrapper."""
    counted = counted_calls(spans)
    previous: dict[str, str] = {}
    last = ""
    for span in spans:
        if span.kind is SpanKind.LLM_CALL:
            if last:
                previous[span.span_id] = last
            if span.span_id in counted:
                last = span.span_id
    return previous


def event_status(span: SpanRecord, summary: RunSummary | None) -> str:
    """`running`, `finished`, `failed`, or `terminated`: still running in a run that was
    stopped or closed as lost."""
    if span.status is SpanStatus.RUNNING:
        stopped = summary is not None and (
            summary.status is RunStatus.TERMINATED or summary.status_reason == LOST_REASON
        )
        return "terminated" if stopped else "running"
    return "failed" if span.status is SpanStatus.ERROR else "finished"


def event_outcome(span: SpanRecord) -> str | None:
    return outcome_of(span.outcome, span.status)


def outcome_of(outcome: str, status: SpanStatus) -> str | None:
    """`blocked` / `replayed` when sent (runlens.action.outcome), else `error` or `success`;
    None while the span runs."""
    if outcome in ("blocked", "replayed"):
        return outcome
    if status is SpanStatus.RUNNING:
        return None
    return "error" if status is SpanStatus.ERROR else "success"


def matches_search(span: SpanRecord, needle: str) -> bool:
    """Case-insensitive substring of the name, tool, model, error, input or output text."""
    folded = needle.casefold()
    haystack = (
        span.name,
        span.tool_name,
        span.model,
        span.error_message,
        span.input,
        span.output,
    )
    return any(folded in text.casefold() for text in haystack if text)


def select_events(
    view: TimelineView,
    *,
    kinds: Collection[str] = (),
    statuses: Collection[str] = (),
    outcomes: Collection[str] = (),
    search: str | None = None,
) -> list[SpanRecord]:
    """The run's events in sequence order that pass every given filter."""
    selected: list[SpanRecord] = []
    for span in view.spans:
        if kinds and span.kind.value not in kinds:
            continue
        if statuses and event_status(span, view.summary) not in statuses:
            continue
        if outcomes and event_outcome(span) not in outcomes:
            continue
        if search and not matches_search(span, search):
            continue
        selected.append(span)
    return selected
