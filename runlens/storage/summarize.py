"""A run's summary, computed from the facts of its deduplicated spans (docs/schema.md,
`run_summaries`, and "How summaries stay exact"). Pure, shared by every backend: a backend keeps
a `RunState` per run (the latest version of each span, by span id), folds in what it stores
and hands the state to `summarize`.

Every figure is a function of that set alone, so a summary is exact whoever wrote the spans and
in whatever batches: the counting rules (`semconv.counting`), which depend on how the spans
nest, are resolved over the whole run each time, never patched from a batch.

`version_of` orders the summaries of one run by how much of it they saw: the spans a store shows
only grow (a new span, a start marker replaced by its ended version, a terminate applied), so a
summary computed from a later read has a version at least as high, and equal versions mean equal
summaries. Two writers refreshing one run need no clock and no coordination: the last write to a
run is followed by a refresh that sees it, and that refresh's summary has the highest version.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from runlens.semconv.counting import (
    RunShape,
    has_failing_agent,
    is_agent,
    is_llm_call,
    uncounted_calls,
)
from runlens.semconv.records import SpanRecord, SpanStatus
from runlens.storage.contract import RunStatus, RunSummary

_LLM, _SUMMARIZATION, _AGENT = "llm_call", "summarization", "agent"
_TOOL, _OTHER = "tool_execution", "other"
_SHAPED = frozenset((_LLM, _SUMMARIZATION, _AGENT, _OTHER))  # what the counting rules meet
_RUNNING, _ERROR, _OK = "running", "error", "ok"
_AGENT_PREFIX = "invoke_agent "

ENDED_BIT = 1 << 62
"""Set in a span's version when it has ended: an ended span wins over its start marker."""
VERSION_BASE = 1 << 62
"""Above every summary version written before summaries were versioned by content (µs)."""
_MAX_COUNT = (1 << 30) - 1


class Fact(NamedTuple):
    """What a summary reads of one span (kind, status and cost source as text; times in ns)."""

    span_id: str
    parent_id: str
    kind: str
    name: str
    status: str
    start: int
    end: int
    ingested: int
    agent_id: str
    agent_name: str
    service: str
    model: str
    cost_source: str
    cost: float  # 0 when not priced
    input_tokens: int
    cached_tokens: int
    cache_write_tokens: int
    output_tokens: int
    reasoning_tokens: int
    response_id: str
    error_type: str
    error_message: str  # empty unless the span failed
    version: int  # ENDED_BIT when ended | ingest time in µs: the highest wins


def span_version(status: SpanStatus, ingested_at_us: int) -> int:
    return (0 if status == SpanStatus.RUNNING else ENDED_BIT) | ingested_at_us


def fact_of(span: SpanRecord, ingested_at_us: int) -> Fact:
    """The fact a store keeps of a span it stored at `ingested_at_us`."""
    usage, failed = span.usage, span.status == SpanStatus.ERROR
    return Fact(
        span.span_id,
        span.parent_span_id,
        span.kind.value,
        span.name,
        span.status.value,
        span.start_time_unix_nano,
        span.end_time_unix_nano,
        ingested_at_us * 1000,
        span.agent_id,
        span.agent_name,
        span.service_name,
        span.response_model or span.request_model,
        span.cost_source.value,
        span.cost_usd or 0.0,
        usage.input,
        usage.cached_input,
        usage.cache_write,
        usage.output,
        usage.reasoning,
        span.response_id,
        span.error_type,
        span.error_message if failed else "",
        span_version(span.status, ingested_at_us),
    )


@dataclass(slots=True)
class RunState:
    """The latest version of each span of one run, and how many have ended."""

    facts: dict[str, Fact] = field(default_factory=dict)
    ended: int = 0

    def fold(self, facts: Iterable[Fact]) -> None:
        """Keep each fact unless a version at least as high is already kept (a re-delivery or a
        start marker after its ended version changes nothing)."""
        kept = self.facts
        for fact in facts:
            old = kept.get(fact.span_id)
            if old is None:
                kept[fact.span_id] = fact
                self.ended += fact.status != _RUNNING
            elif fact.version > old.version:
                kept[fact.span_id] = fact
                self.ended += (fact.status != _RUNNING) - (old.status != _RUNNING)

    @property
    def seen(self) -> tuple[int, int]:
        """Spans and ended spans: equal to a store's count for the run when nothing of it is
        missing here (what is kept here is always stored)."""
        return len(self.facts), self.ended


@dataclass(frozen=True, slots=True)
class Terminated:
    """An applied terminate command of the run."""

    reason: str
    at_unix_nano: int


@dataclass(frozen=True, slots=True)
class Computed:
    summary: RunSummary
    duration_ms: int
    success_rate: float
    version: int


def version_of(spans: int, ended: int, terminated: bool) -> int:
    """Spans seen, ended spans seen, and the terminate, in that order of weight; the lowest bit
    is left for the lost-run sweep (which stores `version + 1`)."""
    spans, ended = min(spans, _MAX_COUNT), min(ended, _MAX_COUNT)
    return VERSION_BASE | spans << 32 | ended << 2 | int(terminated) << 1


def _shape(facts: Collection[Fact]) -> RunShape:
    rows = [f for f in facts if f.kind in _SHAPED or not f.parent_id]
    return RunShape(
        [f.span_id for f in rows],
        [f.parent_id for f in rows],
        [f.kind for f in rows],
        [f.status for f in rows],
        [f.cost_source for f in rows],
        [f.response_id for f in rows],
        [f.start for f in rows],
        [f.input_tokens + f.output_tokens > 0 for f in rows],
    )


def _before(a: Fact, b: Fact | None) -> bool:
    return b is None or a.start < b.start or (a.start == b.start and a.span_id < b.span_id)


class _Scan:
    """One pass over a run's facts: the earliest span (ties: lowest span id) of several kinds,
    counts, and the LLM calls."""

    def __init__(self, facts: Collection[Fact]) -> None:
        self.agent_id: Fact | None = None
        self.agent_name: Fact | None = None
        self.service: Fact | None = None
        self.root: Fact | None = None
        self.root_agent: Fact | None = None
        self.agent: Fact | None = None
        self.first_error: Fact | None = None
        self.roots_ended = self.roots_failed = self.errors = self.tools = self.tools_ok = 0
        self.failed_agents = 0
        self.activity = self.ended_at = 0
        self.started = min(f.start for f in facts)
        self.calls: list[Fact] = []  # LLM calls, counted or not
        self.models: set[str] = set()
        for f in facts:
            self._add(f)

    def _add(self, f: Fact) -> None:
        self.activity = max(self.activity, f.start, f.end, f.ingested)
        if f.agent_id and _before(f, self.agent_id):
            self.agent_id = f
        if f.agent_name and _before(f, self.agent_name):
            self.agent_name = f
        if f.service and _before(f, self.service):
            self.service = f
        kind, status = f.kind, f.status
        if not f.parent_id:
            self._add_root(f)
        if kind == _AGENT and _before(f, self.agent):
            self.agent = f
        if status == _ERROR:
            self.errors += 1
            self.failed_agents += is_agent(kind, f.cost_source)
            if self.first_error is None or _error_key(f) < _error_key(self.first_error):
                self.first_error = f
        if is_llm_call(kind, f.cost_source):
            if f.model:
                self.models.add(f.model)
            self.calls.append(f)
        elif kind == _TOOL:
            self.tools += 1
            self.tools_ok += status == _OK

    def _add_root(self, f: Fact) -> None:
        if _before(f, self.root):
            self.root = f
        if f.kind == _AGENT and _before(f, self.root_agent):
            self.root_agent = f
        if f.status != _RUNNING:
            self.roots_ended += 1
            self.ended_at = max(self.ended_at, f.end)
            self.roots_failed += f.status == _ERROR


def _error_key(f: Fact) -> tuple[bool, int, str]:
    """Root spans first, then the earliest."""
    return f.parent_id != "", f.start, f.span_id


def summarize(
    project_id: str, run_id: str, state: RunState, terminated: Terminated | None = None
) -> Computed:
    """The summary of a run with at least one span."""
    facts = state.facts.values()
    if not facts:
        raise ValueError("a run summary needs at least one span")
    scan = _Scan(facts)
    # The run's shape only when a rule has something to decide: LLM calls to count, or an
    # ended run with a failed agent that may be the root's.
    shape = _shape(facts) if scan.calls or (scan.roots_ended and scan.failed_agents) else None
    uncounted = uncounted_calls(shape) if shape is not None and scan.calls else set()
    counted = [f for f in scan.calls if f.span_id not in uncounted]
    actions, action_ok = len(counted) + scan.tools, scan.tools_ok
    action_ok += sum(f.status == _OK for f in counted)
    started, ended_at = scan.started, scan.ended_at
    if terminated is not None:
        status_, reason = RunStatus.TERMINATED, terminated.reason
    elif not scan.roots_ended:
        status_, reason = RunStatus.RUNNING, ""
    elif scan.roots_failed or (shape is not None and has_failing_agent(shape)):
        status_, reason = RunStatus.FAILED, ""
    else:
        status_, reason = RunStatus.COMPLETED, ""
    if not scan.roots_ended:
        ended_at = terminated.at_unix_nano if terminated is not None else 0
    agent_id = scan.agent_id.agent_id if scan.agent_id else ""
    agent_name = scan.agent_name.agent_name if scan.agent_name else ""
    fallback = scan.root_agent.name.removeprefix(_AGENT_PREFIX) if scan.root_agent else ""
    fallback = fallback or (scan.service.service if scan.service else "")
    named = scan.root or scan.agent
    summary = RunSummary(
        project_id=project_id,
        run_id=run_id,
        agent_id=agent_id or agent_name or fallback,
        agent_name=agent_name or agent_id or fallback,
        name=named.name if named else "",
        status=status_,
        status_reason=reason,
        started_at_unix_nano=started,
        ended_at_unix_nano=ended_at,
        last_activity_unix_nano=scan.activity,
        span_count=len(facts),
        action_count=actions,
        action_ok_count=action_ok,
        error_count=scan.errors,
        turns=len(counted),
        input_tokens=sum(f.input_tokens for f in counted),
        cached_tokens=sum(f.cached_tokens for f in counted),
        cache_write_tokens=sum(f.cache_write_tokens for f in counted),
        output_tokens=sum(f.output_tokens for f in counted),
        reasoning_tokens=sum(f.reasoning_tokens for f in counted),
        cost_usd=sum(f.cost for f in counted),
        unpriced_count=sum(f.cost_source == "unpriced" for f in counted),
        error_type=scan.first_error.error_type if scan.first_error else "",
        error_message=scan.first_error.error_message if scan.first_error else "",
        models=tuple(sorted(scan.models)),
    )
    return Computed(
        summary,
        duration_ms=0 if ended_at < started else (ended_at - started) // 1_000_000,
        success_rate=1.0 if not actions else action_ok / actions,
        version=version_of(*state.seen, terminated is not None),
    )
