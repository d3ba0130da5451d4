"""What the rest of runlens may expect of a store, by role. Backends live beside this module:
`clickhouse` (ClickHouse or embedded chDB) and `memory` (in process, nothing kept); one
conformance suite (tests/storage/conformance) holds both to the same behaviour.

Writers:
- `SpanWriter` (ingest): `write(spans, logs) -> WriteResult`, or for group commit `encode` in the
  receiving thread and `write_encoded` of several batches as one commit;
- `SummaryWriter` (the run summaries' single maintainer): refresh the runs a write touched,
  find the runs a crash left stale, close lost runs;
- `MetricWriter` (OTLP metric points).

Readers, each only ever returning data of the project it is asked about (API keys excepted:
resolving a key is what tells the project): `RunReader` (one run's records and summary),
`EventReader` (records across runs: by commit sequence, and the activity ledger),
`RegistryReader` (run listings over the summaries); control commands and API keys have their
own stores (`storage.commands.CommandStore`, `storage.keys.KeyStore`). `ApiReader` is what the
HTTP API reads through, `Store` everything a backend provides.

What a write promises:
- durable on return: when `write` returns, the records survive a crash of this process;
- idempotent on `(project_id, run_id, span_id)`: a span written twice, or first as a
  `running` start marker and later ended, is one span in every read and every count
  (the ended version wins over the marker whatever the arrival order; among versions of the
  same state the latest stored wins); a log record likewise by `log_key`;
- ordered: every stored batch gets a commit sequence (`WriteResult.seq`) greater than that of
  any batch whose write began before it, kept on each of its rows (`EventReader.run_changes`
  reads by it); writes may run concurrently, so a caller that publishes sequences publishes
  one only once every lower one it handed out is stored (the ingest pipeline does: that is
  why `next_seq` hands a write its sequence before the write begins);
- summaries are not part of a write: `write` returns the runs it touched and
  `SummaryWriter.refresh_runs` recomputes their summaries later (the ingest pipeline does so
  right after a write when no more data waits, else at least about once a second, many runs
  at once), so a run's summary follows its spans within about a second;
- errors split once: `RetryableStorageError` (the store is down or slow: the client should
  retry; OTLP `UNAVAILABLE` / HTTP 503) and `PermanentStorageError` (the data can never be
  stored: `INVALID_ARGUMENT` / 400).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Protocol

from runlens.semconv.metrics import MetricPoint
from runlens.semconv.records import LogRecord, SpanRecord
from runlens.storage.activity import ActionEntry, ActionQuery
from runlens.storage.commands import CommandStore
from runlens.storage.keys import KeyStore
from runlens.storage.values import (
    LOST_REASON,
    AgentStats,
    EncodedBatch,
    InterceptCandidate,
    InterceptQuery,
    LogKey,
    PermanentStorageError,
    ProjectTotals,
    RetryableStorageError,
    RunChanges,
    RunKey,
    RunPosition,
    RunQuery,
    RunSortField,
    RunStatus,
    RunSummary,
    RunTimeline,
    StorageError,
    WriteResult,
    log_key,
)


class SpanWriter(Protocol):
    """Stores spans and log records; see the module's promises."""

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


class SummaryWriter(Protocol):
    """Maintains the run summaries (one maintainer at a time: the ingest pipeline's summary
    thread)."""

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
    """Stores OTLP metric points."""

    def write_metrics(self, project_id: str, points: Sequence[MetricPoint]) -> int:
        """Store OTLP metric points durably (one insert); return how many were stored. Raises
        `RetryableStorageError` / `PermanentStorageError` like a span write."""
        ...


class RunReader(Protocol):
    """One run's summary and records."""

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


class EventReader(Protocol):
    """Records across runs: by commit sequence (live delivery and its catch-up) and the
    activity ledger."""

    def run_changes(
        self, project_id: str, run_id: str, after_seq: int, upto_seq: int
    ) -> RunChanges:
        """The run's spans and log records with `after_seq < seq <= upto_seq` (two
        key-bounded reads)."""
        ...

    def runs_changes(
        self, project_id: str, run_ids: Sequence[str], after_seq: int, upto_seq: int
    ) -> dict[str, RunChanges]:
        """`run_changes` of several runs over one range; a key per run asked."""
        ...

    def newest_seq(self, project_id: str, run_id: str) -> int:
        """The commit sequence of the run's newest write (0 when it stored nothing)."""
        ...

    def actions_page(self, query: ActionQuery) -> list[ActionEntry]:
        """Up to `query.limit` actions, newest first, strictly after `query.after`."""
        ...


class RegistryReader(Protocol):
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


class IngestWriter(SpanWriter, SummaryWriter, Protocol):
    """What the ingest pipeline writes through."""


class ApiReader(RunReader, EventReader, RegistryReader, Protocol):
    """What the HTTP API reads through."""


class Store(
    SpanWriter,
    SummaryWriter,
    MetricWriter,
    ApiReader,
    CommandStore,
    KeyStore,
    Protocol,
):
    """Every role of a backend, and its end."""

    def close(self) -> None:
        """Release what the store holds (connections); later calls fail as retryable."""
        ...


# The values the roles speak in live in storage.values; they are re-exported here.
__all__ = [
    "LOST_REASON",
    "AgentStats",
    "ApiReader",
    "EncodedBatch",
    "EventReader",
    "IngestWriter",
    "InterceptCandidate",
    "InterceptQuery",
    "LogKey",
    "MetricWriter",
    "PermanentStorageError",
    "ProjectTotals",
    "RegistryReader",
    "RetryableStorageError",
    "RunChanges",
    "RunKey",
    "RunPosition",
    "RunQuery",
    "RunReader",
    "RunSortField",
    "RunStatus",
    "RunSummary",
    "RunTimeline",
    "SpanWriter",
    "StorageError",
    "Store",
    "SummaryWriter",
    "WriteResult",
    "log_key",
]
