"""The `SpanWriter` role of `ClickHouseStore`: encode, insert with a commit sequence, and
refresh run summaries from the batches written (summaries.py)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import pyarrow as pa
from clickhouse_connect.driver.client import Client

from runlens.semconv.metrics import MetricPoint
from runlens.semconv.records import LogRecord, SpanRecord
from runlens.storage.clickhouse import metrics, recovery, summaries
from runlens.storage.clickhouse import queries as q
from runlens.storage.clickhouse.connections import StoreConnections
from runlens.storage.clickhouse.errors import translated
from runlens.storage.clickhouse.follow_reads import REPORT_PROGRESS, writers_through
from runlens.storage.clickhouse.rows import logs_to_rows, to_rows
from runlens.storage.contract import LOST_REASON, EncodedBatch, RunKey, WriteResult
from runlens.storage.summarize import Fact, fact_of, summarize


@dataclass(frozen=True, slots=True)
class _Encoded:
    """The payload of an `EncodedBatch` of this store."""

    spans: pa.Table | None
    logs: pa.Table | None
    starts: dict[RunKey, int]  # earliest start of each run the batch touches
    facts: dict[RunKey, list[Fact]]  # what run summaries read of the spans, by run


def _concat(tables: list[pa.Table]) -> pa.Table:
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables)


class StoreWriter(StoreConnections):
    """Any number of writers, in this process or others, may write and refresh the same run:
    a summary is a function of the run's stored spans, versioned by how much of the run it saw
    (`runlens.storage.summarize`)."""

    def next_seq(self) -> int:
        """A commit sequence: the current time in µs, strictly increasing in this process (and
        above those of earlier processes while the clock does not go back)."""
        with self._lock:
            self._last_seq = max(self._last_seq + 1, time.time_ns() // 1000)
            return self._last_seq

    def register_writer(self, writer_id: str) -> None:
        """`ProgressLog.register_writer`: report, then hand out sequences above every report."""
        self.report_progress(writer_id, self.next_seq())
        with translated():
            newest = writers_through(self._client(), 0)  # 0 s: none live, the highest report
        with self._lock:
            self._last_seq = max(self._last_seq, newest or 0)

    def report_progress(self, writer_id: str, seq: int, retired: bool = False) -> None:
        params = {"writer_id": writer_id, "seq": seq, "retired": retired}
        with translated():
            self._client().command(REPORT_PROGRESS, parameters=params)

    def encode(self, spans: Sequence[SpanRecord], logs: Sequence[LogRecord]) -> EncodedBatch:
        """Arrow tables of the records and the earliest start of each run they touch."""
        now_us = time.time_ns() // 1000
        starts: dict[RunKey, int] = {}
        facts: dict[RunKey, list[Fact]] = {}
        for span in spans:
            key = RunKey(span.project_id, span.run_id)
            start = starts.get(key)
            if start is None or span.start_time_unix_nano < start:
                starts[key] = span.start_time_unix_nano
            facts.setdefault(key, []).append(fact_of(span, now_us))
        for log in logs:
            key = RunKey(log.project_id, log.run_id)
            start = starts.get(key)
            if start is None or log.time_unix_nano < start:
                starts[key] = log.time_unix_nano
        with translated():
            span_rows = to_rows(spans, now_us) if spans else None
            log_rows = logs_to_rows(logs, now_us) if logs else None
        encoded = _Encoded(span_rows, log_rows, starts, facts)
        return EncodedBatch(len(spans), len(logs), encoded)

    def write(self, spans: Sequence[SpanRecord], logs: Sequence[LogRecord]) -> WriteResult:
        """Insert spans and logs (one insert each); summaries are left to `refresh_runs`."""
        return self.write_encoded([self.encode(spans, logs)])

    def write_encoded(self, batches: Sequence[EncodedBatch], seq: int | None = None) -> WriteResult:
        """Insert encoded batches, one insert per table for all of them, as commit `seq` (one
        `next_seq` handed out for this write; by default the next one)."""
        parts = [cast(_Encoded, batch.payload) for batch in batches]
        starts: dict[RunKey, int] = {}
        for part in parts:
            for key, start in part.starts.items():
                known = starts.get(key)
                if known is None or start < known:
                    starts[key] = start
        if not starts:
            return WriteResult(0, 0, ())
        span_tables = [part.spans for part in parts if part.spans is not None]
        log_tables = [part.logs for part in parts if part.logs is not None]
        seq = self.next_seq() if seq is None else seq
        with translated():
            if span_tables:
                self._insert(q.SPANS, _with_seq(_concat(span_tables), seq))
            if log_tables:
                self._insert(q.LOGS, _with_seq(_concat(log_tables), seq))
        for part in parts:
            self._states.fold(part.facts)
        with self._lock:
            for key, start in starts.items():
                known = self._unrefreshed.get(key)
                if known is None or start < known:
                    self._unrefreshed[key] = start
        return WriteResult(
            sum(batch.spans for batch in batches),
            sum(batch.logs for batch in batches),
            tuple(starts),
            seq,
        )

    def _insert(self, table: str, rows: pa.Table) -> None:
        """Embedded: `INSERT ... SELECT FROM Python(arrow)` on a chDB connection of this thread
        (no temp file, the fastest path); a server: clickhouse-connect's Arrow insert."""
        raw = self._raw_chdb()
        if raw is None:
            self._client().insert_arrow(table, rows)
            return
        columns = ", ".join(rows.column_names)
        raw.query(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM Python(rows)")

    def refresh_runs(
        self, runs: Iterable[RunKey], upto_seq: int | None = None
    ) -> frozenset[RunKey]:
        """Recompute the summaries of these runs in one statement; return the new ones.
        `upto_seq`: every write up to this commit sequence is stored (default: the last one
        this store handed out)."""
        keys = list(dict.fromkeys(runs))
        if not keys:
            return frozenset()
        with self._lock:
            popped = {key: self._unrefreshed.pop(key) for key in keys if key in self._unrefreshed}
            seq = self._last_seq if upto_seq is None else upto_seq
        try:
            with translated():
                return self._recompute(self._client(), keys, time.time_ns() // 1000, seq)
        except BaseException:
            with self._lock:
                for key, start in popped.items():
                    known = self._unrefreshed.get(key)
                    if known is None or start < known:
                        self._unrefreshed[key] = start
            raise

    def _recompute(
        self, client: Client, keys: list[RunKey], now_us: int, spans_seq: int
    ) -> frozenset[RunKey]:
        held = self._states.snapshot(keys)  # before the check: all of it is stored by then
        params = _key_params(keys)
        found = summaries.checks(client.query(q.RUN_CHECKS, parameters=params).result_rows)
        if not found:
            return frozenset()
        unsure = [
            key for key, check in found.items() if key not in held or held[key].seen != check.seen
        ]
        if unsure:
            table = client.query_arrow(q.RUN_FACTS, parameters=_key_params(unsure))
            read = summaries.states_by_run(table)
            held.update(read)
            self._states.replace(read)
        computed = {
            key: summarize(key.project_id, key.run_id, held[key], check.terminated)
            for key, check in found.items()
            if key in held
        }
        first_seen = {
            key: found[key].first_seen_us or self._first_seen(key, now_us) for key in computed
        }
        self._insert(q.RUN_SUMMARIES, summaries.summary_rows(computed, first_seen, spans_seq))
        return frozenset(key for key in computed if not found[key].first_seen_us)

    def _first_seen(self, key: RunKey, now_us: int) -> int:
        """`first_seen_at` of a run summarized for the first time: now."""
        return now_us

    def write_metrics(self, project_id: str, points: Sequence[MetricPoint]) -> int:
        return metrics.insert_metrics(self._client(), project_id, points)

    def stale_runs(self, slack_us: int) -> list[RunKey]:
        return recovery.stale_runs(self._client(), slack_us)

    def close_lost_runs(self, idle_seconds: float, now_unix_nano: int) -> int:
        """Close running runs idle for `idle_seconds` as failed, reason `lost`."""
        cutoff_ns = now_unix_nano - int(idle_seconds * 1_000_000_000)
        with translated():
            client = self._client()
            rows = client.query(q.LOST_RUNS, parameters={"cutoff_ns": cutoff_ns}).result_rows
            if not rows:
                return 0
            params = _key_params([RunKey(p, r) for p, r in rows])
            params.update(
                cutoff_ns=cutoff_ns,
                reason=LOST_REASON,
                message=f"no activity for {idle_seconds:g} s",
            )
            client.command(q.CLOSE_LOST_RUNS, parameters=params)
        return len(rows)


def _with_seq(rows: pa.Table, seq: int) -> pa.Table:
    return rows.append_column("ingest_seq", pa.repeat(pa.scalar(seq, pa.uint64()), rows.num_rows))


def _key_params(keys: Sequence[RunKey] | dict[RunKey, Any]) -> dict[str, Any]:
    ordered = list(keys)
    return {
        "project_ids": sorted({k.project_id for k in ordered}),
        "run_ids": sorted({k.run_id for k in ordered}),
        "keys": [(k.project_id, k.run_id) for k in ordered],
    }
