"""The latest writes of the runs someone follows live, kept in memory so that reading what such
a run stored since a sequence (`runs_changes`) costs no ClickHouse read.

A live reader reads the changes of the followed runs once per commit; under FINAL each read
visits the whole runs, so its cost grows with them (measured on 2 cores: 32 ms for 20 runs of
100 spans, 60 ms at 1,000 spans each, for a write of 200 spans). Here the store hands every durable
write of a followed run to `RecentWrites` and answers a range from memory when it holds every
write of that run in the range, and from ClickHouse otherwise (a run followed only since after
the range began, writes older than the retention, or another process's writes).

Versions compare as in the table: an ended span beats a running marker; among equals the later
commit wins here, the later encoding in the table, which differ only for two deliveries of one
span racing through ingest. A span whose newest version was committed after the range is left to
the range that holds it, as FINAL does. What memory cannot know is a version stored before the
run was followed or before the range: a start marker delivered after its span ended comes back
as a change, and the reader, which holds the run as read so far, keeps the ended version.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from runlens.semconv.records import LogRecord, SpanRecord, SpanStatus
from runlens.storage.contract import LogKey, RunChanges, RunKey, log_key

DEFAULT_RETAIN_US = 10_000_000
"""How long a followed run's writes stay in memory: a reader further behind reads ClickHouse."""


def _rank(seq: int, span: SpanRecord) -> tuple[bool, int]:
    return (span.status is not SpanStatus.RUNNING, seq)


def _span_order(entry: tuple[int, SpanRecord]) -> tuple[int, int, str]:
    seq, span = entry
    return (seq, span.start_time_unix_nano, span.span_id)


def _log_order(entry: tuple[int, LogRecord]) -> tuple[int, int, str, str, int]:
    seq, log = entry
    return (seq, log.time_unix_nano, log.span_id, log.stream, log.seq)


@dataclass
class _Followed:
    followers: int
    covered_after: int  # every write of the run with a higher sequence is in the lists below
    spans: list[tuple[int, SpanRecord]] = field(default_factory=list)  # by sequence
    logs: list[tuple[int, LogRecord]] = field(default_factory=list)

    def trim(self, oldest: int) -> None:
        """Forget the writes older than `oldest`."""
        cut = bisect.bisect_left(self.spans, oldest, key=_first)
        cut_logs = bisect.bisect_left(self.logs, oldest, key=_first)
        if cut or cut_logs:
            self.covered_after = max(self.covered_after, oldest - 1)
            del self.spans[:cut]
            del self.logs[:cut_logs]

    def changes(self, after: int, upto: int) -> RunChanges:
        start = bisect.bisect_right(self.spans, after, key=_first)
        newest: dict[str, tuple[int, SpanRecord]] = {}
        later: dict[str, tuple[bool, int]] = {}
        for seq, span in self.spans[start:]:
            rank = _rank(seq, span)
            if seq > upto:
                if span.span_id not in later or later[span.span_id] < rank:
                    later[span.span_id] = rank
                continue
            known = newest.get(span.span_id)
            if known is None or _rank(*known) < rank:
                newest[span.span_id] = (seq, span)
        spans = [
            entry
            for span_id, entry in newest.items()
            if span_id not in later or later[span_id] < _rank(*entry)
        ]
        start = bisect.bisect_right(self.logs, after, key=_first)
        logs: dict[LogKey, tuple[int, LogRecord]] = {}
        rewritten: set[LogKey] = set()
        for seq, log in self.logs[start:]:
            key = log_key(log)
            if seq > upto:
                rewritten.add(key)
            else:
                logs[key] = (seq, log)  # the later delivery wins
        return RunChanges(
            tuple(sorted(spans, key=_span_order)),
            tuple(sorted((e for k, e in logs.items() if k not in rewritten), key=_log_order)),
        )


def _first(entry: tuple[int, object]) -> int:
    return entry[0]


class RecentWrites:
    """Followed runs and their writes of the last `retain_us` (thread-safe)."""

    def __init__(self, retain_us: int = DEFAULT_RETAIN_US) -> None:
        self.retain_us = retain_us
        self._lock = threading.Lock()
        self._runs: dict[RunKey, _Followed] = {}
        self._last_seq = 0  # of the last write handed to `add`

    @property
    def followed(self) -> int:
        return len(self._runs)

    def follow(self, key: RunKey) -> None:
        """Keep the run's writes from now on (counted: one `unfollow` per `follow`)."""
        with self._lock:
            entry = self._runs.get(key)
            if entry is None:
                self._runs[key] = _Followed(1, self._last_seq)
            else:
                entry.followers += 1

    def unfollow(self, key: RunKey) -> None:
        with self._lock:
            entry = self._runs.get(key)
            if entry is not None:
                entry.followers -= 1
                if entry.followers <= 0:
                    del self._runs[key]

    def add(
        self, seq: int, writes: Iterable[tuple[Sequence[SpanRecord], Sequence[LogRecord]]]
    ) -> None:
        """Take a durable write (committed as `seq`, its records as spans and logs per part);
        keeps what belongs to followed runs, and looks at no record while none is followed."""
        with self._lock:
            self._last_seq = max(self._last_seq, seq)
            if not self._runs:
                return
            touched: set[RunKey] = set()
            for spans, logs in writes:
                for span in spans:
                    if entry := self._entry(span.project_id, span.run_id, touched):
                        bisect.insort(entry.spans, (seq, span), key=_first)
                for log in logs:
                    if entry := self._entry(log.project_id, log.run_id, touched):
                        bisect.insort(entry.logs, (seq, log), key=_first)
            oldest = self._last_seq - self.retain_us
            for key in touched:
                self._runs[key].trim(oldest)

    def _entry(self, project_id: str, run_id: str, touched: set[RunKey]) -> _Followed | None:
        """The followed run's entry (noted in `touched`), None when it is not followed."""
        key = RunKey(project_id, run_id)
        entry = self._runs.get(key)
        if entry is not None:
            touched.add(key)
        return entry

    def changes(
        self, project_id: str, run_ids: Sequence[str], after: int, upto: int
    ) -> tuple[dict[str, RunChanges], list[str]]:
        """The changes in `(after, upto]` of the runs memory holds whole for that range, and
        the runs it does not (to read from ClickHouse)."""
        found: dict[str, RunChanges] = {}
        missing: list[str] = []
        with self._lock:
            for run_id in run_ids:
                entry = self._runs.get(RunKey(project_id, run_id))
                if entry is None or after < entry.covered_after:
                    missing.append(run_id)
                else:
                    found[run_id] = entry.changes(after, upto)
        return found, missing
