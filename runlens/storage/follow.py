"""Reading what every writer stored, by commit sequence: how a process that ingests nothing
learns of the writes of the processes that do (runlens/follower.py turns it into live events).

Spans and log records carry the commit sequence of their write (`ingest_seq`); run summaries
the time of their recompute (`refreshed_at`, in µs like the sequences), how much of the run
they saw (`version`) and the sequence they cover (`spans_seq`). Sequences of different
processes interleave and a write with a lower sequence can become visible after one with a
higher sequence, so each ingesting process reports how far it has stored (`ProgressLog`) and
a reader reads only up to the lowest of those reports (`WriteLog.writers_through`): below it
nothing more can appear.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """One span or log record a write stored (a stored version, not deduplicated)."""

    seq: int  # the commit sequence of its write
    project_id: str
    run_id: str
    span_id: str
    kind: str  # span kind, or the stream of a log record ("" for GenAI events and logs)
    status: str  # span status ("" for a log record)
    is_log: bool


@dataclass(frozen=True, slots=True)
class StoredSummary:
    """One recompute of a run summary (the newest of the range when there were several)."""

    project_id: str
    run_id: str
    version: int  # how much of the run it saw (storage/summarize.py)
    spans_seq: int  # every write of the run up to this sequence was read by the recompute
    first_seen_us: int  # when the run's first summary was recomputed
    refreshed_us: int  # when it was recomputed (the store's clock)


@dataclass(frozen=True, slots=True)
class StoredBetween:
    """What every project stored in a range of sequences, in sequence order."""

    records: Sequence[StoredRecord]
    summaries: Sequence[StoredSummary]  # by refresh time


class WriteLog(Protocol):
    def stored_between(self, after_seq: int, upto_seq: int, summaries_after: int) -> StoredBetween:
        """Spans and log records with `after_seq < ingest_seq <= upto_seq`, and run summaries
        recomputed after `summaries_after` (µs), of every project (three reads, pruned by sequence,
        no FINAL)."""
        ...

    def writers_through(self, expiry_s: float) -> int | None:
        """A commit sequence up to which every write of every ingesting process has ended:
        the lowest progress reported by the processes that reported within `expiry_s`, the
        highest ever reported when none did, None when no process ever reported."""
        ...


class ProgressLog(Protocol):
    def register_writer(self, writer_id: str) -> None:
        """Announce an ingesting process before its first write: report its progress, then
        move this store's commit sequences above every progress reported so far (a follower
        that has not seen the announcement yet never passes a sequence it will hand out)."""
        ...

    def report_progress(self, writer_id: str, seq: int, retired: bool = False) -> None:
        """Every write of this process with a sequence up to `seq` has ended; `retired`: it
        will write no more (readers stop waiting for it)."""
        ...
