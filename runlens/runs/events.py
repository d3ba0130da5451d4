"""What an event (one span of a run) is to every reader: its id, status, outcome, payload values,
and the event filters."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from runlens.runs.view import RunView
from runlens.semconv.records import SpanRecord, SpanStatus
from runlens.storage.contract import LOST_REASON, RunStatus, RunSummary


def event_id(span_id: str) -> str:
    """The span id left-padded with zeros to 32 hex digits, grouped 8-4-4-4-12."""
    h = span_id.lower().rjust(32, "0")[-32:]
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def json_value(text: str) -> Any:
    """Stored JSON text as a value; text that is not JSON as itself; empty as null."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


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


def duration_ms(span: SpanRecord) -> float | None:
    """Null while the span runs (or when it never said when it ended)."""
    if span.status is SpanStatus.RUNNING or not span.end_time_unix_nano:
        return None
    return max(span.end_time_unix_nano - span.start_time_unix_nano, 0) / 1e6


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
    view: RunView,
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
