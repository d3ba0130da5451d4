"""A run's events as every read path shows them: pure functions over its stored spans and logs.

- sequence: 1-based position of the span in start order (start time, then span id);
- LLM call content missing on the span is filled from its GenAI log events (`merge_logs`; most
  spans got theirs at ingest already, `semconv.events.merge_batch`);
- tool calls are linked to the tool executions that ran them (`link_tool_calls`);
- output chunks (terminal output, streamed model text) by span, in order;
- the run's counted LLM calls, and the previous counted call of each LLM call.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from runlens.semconv.counting import counted_calls
from runlens.semconv.events import apply_log_events, merged_count
from runlens.semconv.links import link_tool_calls
from runlens.semconv.records import LogRecord, SpanKind, SpanRecord
from runlens.storage.contract import RunSummary, RunTimeline

STREAMS = ("stdout", "stderr", "model")  # output chunks: terminal output, model text
TERMINAL = ("stdout", "stderr")

K = TypeVar("K")
V = TypeVar("V")


class Lazy(Mapping[K, V]):
    """A mapping computed on first use (most reads never look at links or output)."""

    def __init__(self, compute: Callable[[], Mapping[K, V]]) -> None:
        self._compute: Callable[[], Mapping[K, V]] | None = compute
        self._value: Mapping[K, V] = {}

    def _get(self) -> Mapping[K, V]:
        if self._compute is not None:
            self._value = self._compute()
            self._compute = None
        return self._value

    def __getitem__(self, key: K) -> V:
        return self._get()[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


@dataclass(frozen=True, slots=True)
class RunView:
    spans: tuple[SpanRecord, ...] = ()  # start order, GenAI log events merged
    summary: RunSummary | None = None
    sequence: Mapping[str, int] = field(default_factory=dict)  # span id -> 1-based position
    by_id: Mapping[str, SpanRecord] = field(default_factory=dict)
    links: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (llm, call) -> tool
    requested_by: Mapping[str, str] = field(default_factory=dict)  # tool span -> llm span
    chunks: Mapping[str, tuple[LogRecord, ...]] = field(default_factory=dict)  # span -> output
    previous_llm: Mapping[str, str] = field(default_factory=dict)  # llm span -> previous one
    counted: Mapping[str, bool] = field(default_factory=dict)  # the run's counted LLM calls


def split_logs(
    logs: Iterable[LogRecord],
) -> tuple[dict[str, list[LogRecord]], dict[str, list[LogRecord]]]:
    """A run's log records as (GenAI events by span, output chunks by span); plain logs are
    neither."""
    events: dict[str, list[LogRecord]] = {}
    chunks: dict[str, list[LogRecord]] = {}
    for log in logs:
        if log.stream in STREAMS:
            chunks.setdefault(log.span_id, []).append(log)
        elif log.event_name:
            events.setdefault(log.span_id, []).append(log)
    return events, chunks


def merge_logs(span: SpanRecord, events: Mapping[str, Sequence[LogRecord]]) -> SpanRecord:
    """The span with the content of its GenAI log events (`events`: by span id) that ingest
    could not merge (they arrived without their span): the one read-time merge. A span that
    took at ingest as many events as it has needs no parsing (`semconv.events.merge_batch`)."""
    found = events.get(span.span_id)
    if not found or len(found) <= merged_count(span):
        return span
    return apply_log_events(span, found)


def view_of(
    timeline: RunTimeline | None,
    summary: RunSummary | None,
    uncounted: Collection[str] | None = None,
) -> RunView:
    """The run's view from its stored timeline. `uncounted`: the LLM calls the run does not
    count when the timeline holds only some of its spans (the export reads actions only)."""
    if timeline is None:
        return RunView(summary=summary)
    events, chunks = split_logs(timeline.logs)
    spans = tuple(merge_logs(s, events) for s in timeline.spans)
    links = Lazy(lambda: link_tool_calls(spans))
    return RunView(
        spans=spans,
        summary=summary,
        sequence={s.span_id: i for i, s in enumerate(spans, start=1)},
        by_id={s.span_id: s for s in spans},
        links=links,
        requested_by=Lazy(lambda: requested_by(links)),
        chunks=Lazy(lambda: sorted_chunks(chunks)),
        previous_llm=Lazy(lambda: previous_llm_calls(spans)),
        counted=Lazy(lambda: counted_of(spans, uncounted)),
    )


def counted_of(spans: Sequence[SpanRecord], uncounted: Collection[str] | None) -> dict[str, bool]:
    if uncounted is None:
        return dict.fromkeys(counted_calls(spans), True)
    return {
        s.span_id: True
        for s in spans
        if s.kind in (SpanKind.LLM_CALL, SpanKind.SUMMARIZATION) and s.span_id not in uncounted
    }


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
