"""The values of the storage contract (runlens.storage.contract): errors, run summaries and
keys, write results, and what the readers are asked and answer."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from runlens.semconv.records import LogRecord, SpanRecord


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
