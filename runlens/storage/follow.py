"""Reading what every writer stored, by commit sequence: how a process that ingests nothing
learns of the writes of the processes that do (runlens/follower.py turns it into live events).

Spans and log records carry the commit sequence of their write (`ingest_seq`), run summaries
the time of their recompute (`version`, in µs like the sequences; the sequence they cover,
`spans_seq`, is never above it). Both are taken from the writer's clock just before the write
begins, so whatever is visible with a sequence up to S stays what is visible once every write
that began before S has ended.
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
    version: int  # when it was recomputed (µs)
    spans_seq: int  # every write of the run up to this sequence was read by the recompute
    first_seen_us: int  # when the run's first summary was recomputed


@dataclass(frozen=True, slots=True)
class StoredBetween:
    """What every project stored in a range of sequences, in sequence order."""

    records: Sequence[StoredRecord]
    summaries: Sequence[StoredSummary]  # by version


class WriteLog(Protocol):
    def stored_between(self, after_seq: int, upto_seq: int) -> StoredBetween:
        """Spans and log records with `after_seq < ingest_seq <= upto_seq`, and run summaries
        with `after_seq < version <= upto_seq`, of every project (three reads, pruned by
        sequence, no FINAL)."""
        ...
