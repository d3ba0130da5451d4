"""What the rest of runlens may expect of a store. Backends live beside this module.

A `SpanWriter` promises:
- durable on return: when `write` returns, the records survive a crash of this process;
- idempotent on `(project_id, run_id, span_id)`: a span written twice, or first as a
  `running` start marker and later ended, is one span in every read and every count
  (the ended version wins over the marker whatever the arrival order);
- the summary of every run the batch touched is up to date when `write` returns;
- errors split once: `RetryableStorageError` (the store is down or slow: the client should
  retry; OTLP `UNAVAILABLE` / HTTP 503) and `PermanentStorageError` (the data can never be
  stored: `INVALID_ARGUMENT` / 400).

A `SpanReader` only ever returns data of the project it is asked about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

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


@dataclass(frozen=True, slots=True)
class WriteResult:
    spans_written: int
    logs_written: int
    runs: tuple[RunKey, ...]  # every run the batch touched


class SpanWriter(Protocol):
    def write(self, spans: Sequence[SpanRecord], logs: Sequence[LogRecord]) -> WriteResult:
        """Store a batch durably and refresh the summaries of the runs it touched."""
        ...

    def close_lost_runs(self, idle_seconds: float, now_unix_nano: int) -> int:
        """Mark runs still running with no activity for `idle_seconds` as failed, reason
        `lost`; return how many were closed. A run that later receives spans is recomputed."""
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
