"""What the rest of runlens may expect of a store. Backends live beside this module.

A `SpanWriter` promises:
- durable on return: when `write` returns, the records survive a crash of this process;
- idempotent on `(project_id, run_id, span_id)`: a span written twice, or first as a
  `running` start marker and later ended, is one span in every read and every count
  (the ended version wins over the marker whatever the arrival order);
- ordered: every stored batch gets a commit sequence (`WriteResult.seq`) greater than that of
  any batch whose write began before it, kept on each of its rows (`LiveReader.run_changes`
  reads by it); writes may run concurrently, so a caller that publishes sequences publishes
  one only once every lower one it handed out is stored (the ingest pipeline does);
- summaries are not part of a write: `write` returns the runs it touched and
  `refresh_runs` recomputes their summaries later (the ingest pipeline does so right after a
  write when no more data waits, else at least about once a second, many runs at once), so a
  run's summary follows its spans within about a second;
- errors split once: `RetryableStorageError` (the store is down or slow: the client should
  retry; OTLP `UNAVAILABLE` / HTTP 503) and `PermanentStorageError` (the data can never be
  stored: `INVALID_ARGUMENT` / 400).

A `SpanReader` only ever returns data of the project it is asked about.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from runlens.semconv.metrics import MetricPoint
from runlens.semconv.records import LogRecord, SpanRecord
from runlens.storage.activity import ActivityReader


class StorageError(Exception):
    """Base of the two storage error classes; never raised itself."""


class RetryableStorageError(StorageError):
    """The store could not take the data now; the same write may succeed later."""


class PermanentStorageError(StorageError):
    """The data can never be stored as sent."""


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    TERMINATED = "terminated"


LOST_REASON = "lost"


@dataclass(frozen=True, slots=True)
class RunKey:
    project_id: str
    run_id: str


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One run as the run registry lists it, recomputed from its spans after every write."""

    project_id: str
    run_id: str
    agent_id: str
    agent_name: str
    name: str
    status: RunStatus
    status_reason: str  # e.g. "lost" for a run closed by the inactivity timeout
    started_at_unix_nano: int
    ended_at_unix_nano: int  # 0 while running
    last_activity_unix_nano: int
    span_count: int
    action_count: int  # llm calls + tool executions
    action_ok_count: int
    error_count: int
    turns: int  # llm calls
    input_tokens: int
    cached_tokens: int
    cache_write_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cost_usd: float
    unpriced_count: int  # llm calls with no price: the cost is a lower bound when > 0
    error_type: str
    error_message: str
    models: tuple[str, ...]

    @property
    def known_cost_usd(self) -> float | None:
        """The cost to show: None when no LLM call could be priced, never a false $0."""
        return None if self.unpriced_count and not self.cost_usd else self.cost_usd


@dataclass(frozen=True, slots=True)
class WriteResult:
    spans_written: int
    logs_written: int
    runs: tuple[RunKey, ...]  # every run the batch touched: pass them to `refresh_runs`
    seq: int = 0  # the commit sequence of the batch (0 when nothing was stored)


@dataclass(frozen=True, slots=True)
class EncodedBatch:
    """Records already converted by `SpanWriter.encode` into what that writer inserts.

    `payload` is the writer's own representation: only the writer that encoded a batch reads
    it. Encoding is pure CPU work, so callers do it in their own thread and leave the single
    writer thread only the inserts.
    """

    spans: int
    logs: int
    payload: object

    @property
    def size(self) -> int:
        return self.spans + self.logs


class SpanWriter(Protocol):
    def encode(self, spans: Sequence[SpanRecord], logs: Sequence[LogRecord]) -> EncodedBatch:
        """Convert records for `write_encoded`; no I/O, safe from any thread. Raises
        `PermanentStorageError` when the records can never be stored."""
        ...

    def write(self, spans: Sequence[SpanRecord], logs: Sequence[LogRecord]) -> WriteResult:
        """Store a batch durably; summaries are left to `refresh_runs`."""
        ...

    def next_seq(self) -> int:
        """A commit sequence for a write about to begin, greater than any handed out before."""
        ...

    def write_encoded(self, batches: Sequence[EncodedBatch], seq: int | None = None) -> WriteResult:
        """Store encoded batches durably, all in one insert per table, as commit `seq` (from
        `next_seq`; by default the next one)."""
        ...

    def refresh_runs(
        self, runs: Iterable[RunKey], upto_seq: int | None = None
    ) -> frozenset[RunKey]:
        """Recompute the summaries of these runs from their stored spans (one statement for
        all of them) and return those that had no summary before. Idempotent; on failure the
        same call may be repeated. `upto_seq` is a commit sequence up to which every write is
        stored (default: the last one handed out): the summaries record it, and
        `stale_runs` finds the runs with a span stored later."""
        ...

    def stale_runs(self, slack_us: int) -> list[RunKey]:
        """Runs with spans stored after their summary was computed, or with no summary (the
        refreshes a crash cut off); only spans newer than the newest summary's sequence less
        `slack_us` are looked at."""
        ...

    def close_lost_runs(self, idle_seconds: float, now_unix_nano: int) -> int:
        """Mark runs still running with no activity for `idle_seconds` as failed, reason
        `lost`; return how many were closed. A run that later receives spans is recomputed."""
        ...


class MetricWriter(Protocol):
    def write_metrics(self, project_id: str, points: Sequence[MetricPoint]) -> int:
        """Store OTLP metric points durably (one insert); return how many were stored. Raises
        `RetryableStorageError` / `PermanentStorageError` like a span write."""
        ...


class SpanReader(Protocol):
    def ping(self) -> None:
        """Raise `RetryableStorageError` unless the store answers queries."""
        ...

    def run_summary(self, project_id: str, run_id: str) -> RunSummary | None: ...

    def run_spans(self, project_id: str, run_id: str) -> list[SpanRecord]:
        """The run's spans (deduplicated) in start order."""
        ...

    def run_logs(self, project_id: str, run_id: str) -> list[LogRecord]:
        """The run's log records in time order (chunks of one stream in `seq` order)."""
        ...


# -- Reads behind the GraphQL API -------------------------------------------------------------


class RunSortField(StrEnum):
    STARTED_AT = "started_at"
    COST = "cost"


@dataclass(frozen=True, slots=True)
class RunPosition:
    """A keyset position in a run listing: the sort value of a run and its id (tie-breaker).
    `value` is nanoseconds since the epoch for STARTED_AT, USD for COST."""

    value: int | float
    run_id: str


@dataclass(frozen=True, slots=True)
class RunQuery:
    """One page of a project's runs. Every filter is optional; `after` continues a listing
    with the same sort, strictly after that position."""

    project_id: str
    limit: int
    statuses: tuple[RunStatus, ...] = ()
    min_cost_usd: float | None = None
    started_after_unix_nano: int | None = None  # the time window
    agent_id: str | None = None
    search: str | None = None  # case-insensitive substring of run id, name or agent
    sort: RunSortField = RunSortField.STARTED_AT
    descending: bool = True
    after: RunPosition | None = None


@dataclass(frozen=True, slots=True)
class AgentStats:
    agent_id: str
    agent_name: str
    run_count: int


@dataclass(frozen=True, slots=True)
class ProjectTotals:
    runs: int
    spans: int
    actions: int
    cost_usd: float
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    reasoning_tokens: int


@dataclass(frozen=True, slots=True)
class InterceptQuery:
    """Runs that need attention: failed, over budget, or with too many blocked actions and
    interventions (terminate / steer commands not rejected)."""

    project_id: str
    limit: int
    started_after_unix_nano: int | None = None
    agent_budgets_usd: tuple[tuple[str, float], ...] = ()  # (agent id, budget)
    intervention_threshold: float = 0.3  # (blocked + interventions) / actions at or above this
    after: RunPosition | None = None  # newest first: strictly older than this position


@dataclass(frozen=True, slots=True)
class InterceptCandidate:
    summary: RunSummary
    blocked_actions: int  # actions with outcome `blocked`
    budget_usd: float | None  # `runlens.budget.usd` on the run's spans, else the agent's
    interventions: int = 0  # terminate and steer commands sent to the run (not rejected)


@dataclass(frozen=True, slots=True)
class RunTimeline:
    """Everything stored of one run: spans in start order, log records in time order."""

    spans: tuple[SpanRecord, ...]
    logs: tuple[LogRecord, ...]
    # LLM calls the run does not count (semconv.counting); filled by `run_actions`
    uncounted: frozenset[str] = frozenset()


class RunRegistryReader(Protocol):
    """Run listings over the run summaries. Every call reads one project only."""

    def runs_page(self, query: RunQuery) -> list[RunSummary]:
        """Up to `query.limit` runs in the query's order, strictly after `query.after`."""
        ...

    def count_runs(self, query: RunQuery) -> int:
        """How many runs match the query's filters (sort and position ignored)."""
        ...

    def run_summaries(self, project_id: str, run_ids: Sequence[str]) -> list[RunSummary]:
        """The summaries of the given runs that exist, in no particular order."""
        ...

    def agent_stats(
        self, project_id: str, search: str | None, limit: int, agent_ids: Sequence[str] = ()
    ) -> list[AgentStats]:
        """Agents whose id or name contains `search` (case-insensitive), most runs first;
        only those of `agent_ids` when given."""
        ...

    def project_totals(
        self, project_id: str, started_after_unix_nano: int | None
    ) -> ProjectTotals: ...

    def intercepts(self, query: InterceptQuery) -> list[InterceptCandidate]:
        """Runs needing attention, newest first (started_at, then run id, descending)."""
        ...


class TimelineReader(Protocol):
    def run_timelines(
        self,
        project_id: str,
        run_ids: Sequence[str],
        summaries: Sequence[RunSummary] = (),
        fields: Collection[str] | None = None,
        logs: bool = True,
    ) -> dict[str, RunTimeline]:
        """The timelines of the given runs (two queries whatever their number); runs with
        nothing stored are absent. `summaries` (of these runs, when known) bound the reads in
        time. With `fields` (SpanRecord field names) only those are read, the others keep their
        defaults (the key, kind, status and start time are always read); without `logs` no log
        record is read (one query)."""
        ...


class ActionReader(Protocol):
    def run_actions(
        self, project_id: str, run_ids: Sequence[str], payloads: bool
    ) -> dict[str, RunTimeline]:
        """The actions (LLM calls, summarization LLM calls included, and tool executions) of
        the given runs, in start order, in one spans query whatever their number, with the LLM
        calls each run does not count (`RunTimeline.uncounted`, one more narrow query). Without
        `payloads` the spans carry no input, output, attributes, resource or events; with them,
        input and output are read, and the runs' GenAI event log records in one more query
        (never terminal output). Runs with no action are absent."""
        ...


LogKey = tuple[str, str, int, int, str, str]


def log_key(log: LogRecord) -> LogKey:
    """What identifies a stored log record (a store keeps one record per key, the latest
    delivered): an output chunk by its span, stream and seq; any other record by its span,
    seq, time, event name and body."""
    if log.stream:
        return (log.span_id, log.stream, log.seq, 0, "", "")
    return (log.span_id, "", log.seq, log.time_unix_nano, log.event_name, log.body)


@dataclass(frozen=True, slots=True)
class RunChanges:
    """What a run stored in a range of commit sequences: each span once, in its current
    (deduplicated) version, when that version was stored in the range; log records stored in
    the range. Both as `(seq, record)` in sequence order."""

    spans: tuple[tuple[int, SpanRecord], ...]
    logs: tuple[tuple[int, LogRecord], ...]


class LiveReader(Protocol):
    def run_changes(
        self, project_id: str, run_id: str, after_seq: int, upto_seq: int
    ) -> RunChanges:
        """The run's spans and log records with `after_seq < seq <= upto_seq` (two
        key-bounded reads)."""
        ...

    def runs_changes(
        self, project_id: str, run_ids: Sequence[str], after_seq: int, upto_seq: int
    ) -> dict[str, RunChanges]:
        """`run_changes` of several runs over one range; a key per run asked. A followed run
        may be answered from memory, where a start marker stored after its span ended can
        come back as a change (the caller, which holds the run, keeps the ended version)."""
        ...

    def newest_seq(self, project_id: str, run_id: str) -> int:
        """The commit sequence of the run's newest write (0 when it stored nothing)."""
        ...

    def follow_changes(self, project_id: str, run_id: str) -> None:
        """The run's changes will be read often from now on (until `unfollow_changes`)."""
        ...

    def unfollow_changes(self, project_id: str, run_id: str) -> None: ...


class ApiReader(
    SpanReader,
    RunRegistryReader,
    TimelineReader,
    ActionReader,
    ActivityReader,
    LiveReader,
    Protocol,
):
    """What the HTTP API reads through."""
