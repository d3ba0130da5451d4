"""A run's view kept up to date from its changes (`LiveRun`): what `view_of` would build from
the stored timeline, at the cost of the spans that changed."""

from __future__ import annotations

import bisect
import operator
from dataclasses import dataclass

from runlens.runs.view import (
    STREAMS,
    Lazy,
    RunView,
    counted_of,
    merge_logs,
    previous_llm_calls,
    requested_by,
    sorted_chunks,
)
from runlens.semconv.links import link_tool_calls
from runlens.semconv.records import LogRecord, SpanRecord, SpanStatus
from runlens.storage.contract import LogKey, RunChanges, RunSummary, log_key

_FIRST = operator.itemgetter(0)
_SECOND = operator.itemgetter(1)


@dataclass(frozen=True, slots=True)
class Applied:
    """What changes changed, each in sequence order: the events (a span stored, or given
    content by a GenAI log event of a later commit) as `(seq, span id)`, and the new output
    chunks."""

    events: list[tuple[int, str]]
    chunks: list[tuple[int, LogRecord]]


class LiveRun:
    """A run as its changes arrived (from the store, or as written from the live bus)."""

    def __init__(self) -> None:
        self._stored: dict[str, SpanRecord] = {}
        self._spans: dict[str, SpanRecord] = {}  # GenAI log events merged
        self._order: list[tuple[int, str]] = []  # (start time, span id), start order
        self._events: dict[str, list[LogRecord]] = {}  # GenAI events by span
        self._chunks: dict[str, tuple[LogRecord, ...]] = {}  # output chunks by span
        self._logs: set[LogKey] = set()

    def apply(self, changes: RunChanges) -> Applied:
        """Take the changes; return what they changed. A running version never replaces an
        ended span (a start marker delivered after its span ended, or two deliveries racing
        through ingest); a log record delivered again is taken once."""
        chunks: list[tuple[int, LogRecord]] = []
        changed: dict[str, int] = {}  # span id -> seq, in the order of the changes
        given: dict[str, int] = {}  # span id -> seq of a GenAI event that came after it
        touched: set[str] = set()
        for seq, log in changes.logs:
            key = log_key(log)
            if key in self._logs:
                continue
            self._logs.add(key)
            if log.stream in STREAMS:
                self._chunks[log.span_id] = (*self._chunks.get(log.span_id, ()), log)
                chunks.append((seq, log))
            elif log.event_name:
                self._events.setdefault(log.span_id, []).append(log)
                touched.add(log.span_id)
                if log.span_id in self._stored:
                    given[log.span_id] = max(given.get(log.span_id, 0), seq)
        running = SpanStatus.RUNNING
        for seq, span in changes.spans:
            old = self._stored.get(span.span_id)
            if old is not None and span.status is running and old.status is not running:
                continue
            changed[span.span_id] = max(changed.get(span.span_id, 0), seq)
            if old is not None and old.start_time_unix_nano != span.start_time_unix_nano:
                self._order.remove((old.start_time_unix_nano, old.span_id))
                old = None
            if old is None:
                bisect.insort(self._order, (span.start_time_unix_nano, span.span_id))
            self._stored[span.span_id] = span
            touched.add(span.span_id)
        for span_id in touched:
            stored = self._stored.get(span_id)
            if stored is not None:
                self._spans[span_id] = merge_logs(stored, self._events)
        for span_id, seq in given.items():
            changed[span_id] = max(changed.get(span_id, 0), seq)
        events = sorted(((seq, span_id) for span_id, seq in changed.items()), key=_FIRST)
        return Applied(events, chunks)

    def view(self, summary: RunSummary | None) -> RunView:
        # Copies at C speed: a view costs little more than its changed spans.
        by_id = dict(self._spans)
        span_ids = list(map(_SECOND, self._order))
        spans = tuple(map(by_id.__getitem__, span_ids))
        chunks = dict(self._chunks)

        linked = Lazy(lambda: link_tool_calls(spans))
        return RunView(
            spans=spans,
            summary=summary,
            sequence=dict(zip(span_ids, range(1, len(span_ids) + 1), strict=True)),
            by_id=by_id,
            links=linked,
            requested_by=Lazy(lambda: requested_by(linked)),
            chunks=Lazy(lambda: sorted_chunks(chunks)),
            previous_llm=Lazy(lambda: previous_llm_calls(spans)),
            counted=Lazy(lambda: counted_of(spans, None)),
        )
