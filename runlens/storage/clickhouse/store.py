"""`ClickHouseStore`: the `SpanWriter` and `SpanReader` of runlens over ClickHouse or chDB.

One clickhouse-connect client per thread (chDB runs queries of different connections in
parallel and releases the GIL; one shared connection would serialize them). A DSN of the form
`chdb://PATH` embeds ClickHouse with its data in PATH (one process per path);
`http(s)://user:pass@host:8123/db` reaches a server. Tables always live in database `runlens`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast
from urllib.parse import urlsplit

import clickhouse_connect
import pyarrow as pa
from clickhouse_connect.driver.client import Client

from runlens.semconv.records import LogRecord, SpanRecord
from runlens.storage.activity import ActionEntry, ActionQuery
from runlens.storage.clickhouse import activity, commands, keys, registry, timeline
from runlens.storage.clickhouse import queries as q
from runlens.storage.clickhouse.errors import open_failure, translated
from runlens.storage.clickhouse.migrate import migrate
from runlens.storage.clickhouse.queries import PROJECT_FILTER as _PROJECT_FILTER
from runlens.storage.clickhouse.queries import Select
from runlens.storage.clickhouse.recent import RecentWrites
from runlens.storage.clickhouse.rows import (
    log_from_row,
    logs_to_rows,
    spans_from_table,
    summary_from_row,
    to_rows,
)
from runlens.storage.clickhouse.summaries import RunMemo, RunMemory, plan
from runlens.storage.commands import CommandKind, CommandState, ControlCommand
from runlens.storage.contract import (
    LOST_REASON,
    AgentStats,
    EncodedBatch,
    InterceptCandidate,
    InterceptQuery,
    PermanentStorageError,
    ProjectTotals,
    RetryableStorageError,
    RunChanges,
    RunKey,
    RunQuery,
    RunSummary,
    RunTimeline,
    WriteResult,
)
from runlens.storage.keys import ApiKeyRecord

ClientFactory = Callable[[], Client]

_NO_START = 1 << 62
"""A run refreshed without a pending write: its remembered start bounds the scan."""


@dataclass(frozen=True, slots=True)
class _Encoded:
    """The payload of an `EncodedBatch` of this store."""

    spans: pa.Table | None
    logs: pa.Table | None
    starts: dict[RunKey, int]  # earliest start of each run the batch touches
    records: tuple[Sequence[SpanRecord], Sequence[LogRecord]]  # what the tables hold


def _concat(tables: list[pa.Table]) -> pa.Table:
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables)


def _embedded_path(client: Client) -> str | None:
    """The data directory of an embedded (chDB) client, None for a server or `:memory:`."""
    try:
        from clickhouse_connect.driver._chdbclient import ChdbClient
    except ImportError:
        return None
    if not isinstance(client, ChdbClient):
        return None
    path = client.path
    if not path or path.startswith((":memory:", "file:")):
        return None
    return os.path.realpath(path)


def chdb_path(dsn: str) -> str | None:
    """The data directory of a `chdb://PATH` DSN (absolute), None for other DSNs.

    `chdb://./data` and `chdb://data` are relative to the working directory,
    `chdb:///var/lib/runlens` is absolute.
    """
    if not dsn.startswith("chdb://"):
        return None
    path = dsn[len("chdb://") :].split("?", 1)[0]
    if path in ("", "memory", ":memory:"):
        return None
    return os.path.realpath(path)


def client_factory(dsn: str) -> ClientFactory:
    """Open a new client for `dsn` on each call (chDB paths normalised to absolute)."""
    path = chdb_path(dsn)
    if path is not None:
        query = dsn.split("?", 1)[1] if "?" in dsn else ""
        target = f"chdb://{path}" + (f"?{query}" if query else "")
    else:
        target = dsn
    if not (target.startswith("chdb:") or urlsplit(target).scheme in ("http", "https")):
        raise ValueError(
            f"unsupported ClickHouse DSN {dsn!r}: use chdb://PATH or http(s)://user:pass@host:8123/db"
        )

    def connect() -> Client:
        try:
            return clickhouse_connect.get_client(dsn=target)
        except Exception as exc:
            raise open_failure(exc, path) from exc

    return connect


class ClickHouseStore:
    """Spans, logs and run summaries in the `runlens` database (docs/schema.md).

    Writes assume one writer per run at a time (the ingest pipeline's single writer thread);
    reads may come from any thread.
    """

    def __init__(self, connect: ClientFactory | str) -> None:
        self._connect = client_factory(connect) if isinstance(connect, str) else connect
        self._local = threading.local()
        self._clients: list[Client] = []
        self._lock = threading.Lock()
        self._runs = RunMemory()
        self._unrefreshed: dict[RunKey, int] = {}  # written, summary not yet refreshed: start
        self._raw: list[Any] = []  # chDB connections of the embedded insert path
        self._chdb_path: str | None = None
        self._last_version = 0
        self._last_seq = 0
        self._closed = False
        self._recent = RecentWrites()

    @classmethod
    def open(cls, dsn: str, retention_days: int = 90) -> ClickHouseStore:
        """Connect, bring the schema up to date and return the store."""
        store = cls(dsn)
        try:
            migrate(store._client(), retention_days=retention_days)
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        """Close every connection this store opened (in any thread)."""
        with self._lock:
            clients, self._clients = self._clients, []
            raw, self._raw = self._raw, []
            self._closed = True
        for connection in raw:
            connection.close()
        for client in clients:
            client.close()

    def _client(self) -> Client:
        if self._closed:
            raise RetryableStorageError("the store is closed")
        client: Client | None = getattr(self._local, "client", None)
        if client is not None:
            return client
        client = self._connect()
        with translated():
            for key, value in q.SESSION_SETTINGS.items():
                client.set_client_setting(key, value)
        with self._lock:
            if not self._clients:
                self._chdb_path = _embedded_path(client)
            self._clients.append(client)
        self._local.client = client
        return client

    def _next_version(self) -> int:
        """A summary version: the current time in µs, strictly increasing in this process."""
        with self._lock:
            self._last_version = max(self._last_version + 1, time.time_ns() // 1000)
            return self._last_version

    def next_seq(self) -> int:
        """A commit sequence: the current time in µs, strictly increasing in this process (and
        above those of earlier processes while the clock does not go back)."""
        with self._lock:
            self._last_seq = max(self._last_seq + 1, time.time_ns() // 1000)
            return self._last_seq

    # -- SpanWriter -------------------------------------------------------------------------

    def encode(self, spans: Sequence[SpanRecord], logs: Sequence[LogRecord]) -> EncodedBatch:
        """Arrow tables of the records and the earliest start of each run they touch."""
        now_us = time.time_ns() // 1000
        starts: dict[RunKey, int] = {}
        for span in spans:
            key = RunKey(span.project_id, span.run_id)
            start = starts.get(key)
            if start is None or span.start_time_unix_nano < start:
                starts[key] = span.start_time_unix_nano
        for log in logs:
            key = RunKey(log.project_id, log.run_id)
            start = starts.get(key)
            if start is None or log.time_unix_nano < start:
                starts[key] = log.time_unix_nano
        with translated():
            span_rows = to_rows(spans, now_us) if spans else None
            log_rows = logs_to_rows(logs, now_us) if logs else None
        encoded = _Encoded(span_rows, log_rows, starts, (spans, logs))
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
        self._recent.add(seq, (part.records for part in parts))
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

    def _raw_chdb(self) -> Any:
        """This thread's own chDB connection when the store is embedded, else None."""
        self._client()  # the first client tells whether the store is embedded
        if self._chdb_path is None:
            return None
        raw = getattr(self._local, "raw", None)
        if raw is None:
            import chdb

            raw = chdb.connect(self._chdb_path)  # type: ignore[no-untyped-call]
            with self._lock:
                self._raw.append(raw)
            self._local.raw = raw
        return raw

    def refresh_runs(self, runs: Iterable[RunKey]) -> frozenset[RunKey]:
        """Recompute the summaries of these runs in one statement; return the new ones."""
        keys = list(dict.fromkeys(runs))
        if not keys:
            return frozenset()
        with self._lock:
            popped = {key: self._unrefreshed.pop(key) for key in keys if key in self._unrefreshed}
        try:
            with translated():
                return self._recompute(self._client(), keys, popped, time.time_ns() // 1000)
        except BaseException:
            with self._lock:
                for key, start in popped.items():
                    known = self._unrefreshed.get(key)
                    if known is None or start < known:
                        self._unrefreshed[key] = start
            raise

    def _recompute(
        self, client: Client, keys: list[RunKey], starts: dict[RunKey, int], now_us: int
    ) -> frozenset[RunKey]:
        known, missing = self._runs.get_many(keys)
        if missing:
            rows = client.query(q.PREVIOUS_SUMMARIES, parameters=_key_params(missing))
            for project_id, run_id, first_seen_us, started_ns in rows.result_rows:
                known[RunKey(project_id, run_id)] = RunMemo(int(first_seen_us), int(started_ns))
        created = frozenset(key for key in missing if key not in known)
        # A run refreshed without a write of this process: its known start, else scan it all.
        touched = {key: starts.get(key, _NO_START if key in known else 0) for key in keys}
        memos, lower_ns = plan(touched, known, now_us)
        params = _key_params(memos)
        params.update(
            first_seen=[(k.project_id, k.run_id, m.first_seen_us) for k, m in memos.items()],
            lower_ns=lower_ns,
            now_ns=now_us * 1000,
            version=self._next_version(),
        )
        client.command(q.RECOMPUTE_SUMMARIES, parameters=params)
        self._runs.put_many(memos)
        return created

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

    # -- SpanReader -------------------------------------------------------------------------

    def ping(self) -> None:
        with translated():
            if not self._client().ping():
                raise RetryableStorageError("ClickHouse does not answer")

    def run_summary(self, project_id: str, run_id: str) -> RunSummary | None:
        rows = self._scoped(project_id).rows(q.RUN_SUMMARY, {"run_id": run_id})
        return summary_from_row(rows[0]) if rows else None

    def run_spans(self, project_id: str, run_id: str) -> list[SpanRecord]:
        return spans_from_table(self._scoped(project_id).table(q.RUN_SPANS, {"run_id": run_id}))

    def run_logs(self, project_id: str, run_id: str) -> list[LogRecord]:
        rows = self._scoped(project_id).rows(q.RUN_LOGS, {"run_id": run_id})
        return [log_from_row(row) for row in rows]

    # -- RunRegistryReader, TimelineReader (SQL in registry.py / timeline.py) ---------------

    def runs_page(self, query: RunQuery) -> list[RunSummary]:
        return registry.runs_page(self._scoped(query.project_id), query)

    def count_runs(self, query: RunQuery) -> int:
        return registry.count_runs(self._scoped(query.project_id), query)

    def run_summaries(self, project_id: str, run_ids: Sequence[str]) -> list[RunSummary]:
        return registry.run_summaries(self._scoped(project_id), run_ids)

    def agent_stats(
        self, project_id: str, search: str | None, limit: int, agent_ids: Sequence[str] = ()
    ) -> list[AgentStats]:
        return registry.agent_stats(self._scoped(project_id), search, limit, agent_ids)

    def project_totals(self, project_id: str, started_after_unix_nano: int | None) -> ProjectTotals:
        return registry.project_totals(self._scoped(project_id), started_after_unix_nano)

    def actions_page(self, query: ActionQuery) -> list[ActionEntry]:
        return activity.actions_page(self._scoped(query.project_id), query)

    def intercepts(self, query: InterceptQuery) -> list[InterceptCandidate]:
        return registry.intercepts(self._scoped(query.project_id), query)

    def run_timelines(
        self,
        project_id: str,
        run_ids: Sequence[str],
        summaries: Sequence[RunSummary] = (),
        fields: Collection[str] | None = None,
        logs: bool = True,
    ) -> dict[str, RunTimeline]:
        known = {s.run_id: s for s in summaries if s.project_id == project_id}
        with self._lock:
            unrefreshed = {
                run_id: self._unrefreshed[key]
                for run_id in run_ids
                if (key := RunKey(project_id, run_id)) in self._unrefreshed
            }
        bounds = timeline.time_bounds(run_ids, known, unrefreshed)
        return timeline.run_timelines(
            self._scoped(project_id), run_ids, fields=fields, logs=logs, bounds=bounds
        )

    def run_actions(
        self, project_id: str, run_ids: Sequence[str], payloads: bool
    ) -> dict[str, RunTimeline]:
        return timeline.run_actions(self._scoped(project_id), run_ids, payloads)

    # -- LiveReader -------------------------------------------------------------------------

    def run_changes(
        self, project_id: str, run_id: str, after_seq: int, upto_seq: int
    ) -> RunChanges:
        return timeline.run_changes(self._scoped(project_id), run_id, after_seq, upto_seq)

    def runs_changes(
        self, project_id: str, run_ids: Sequence[str], after_seq: int, upto_seq: int
    ) -> dict[str, RunChanges]:
        """From memory for followed runs (`follow_changes`) when it holds the range."""
        found, missing = self._recent.changes(project_id, run_ids, after_seq, upto_seq)
        if missing:
            select = self._scoped(project_id)
            found.update(timeline.runs_changes(select, missing, after_seq, upto_seq))
        return found

    def follow_changes(self, project_id: str, run_id: str) -> None:
        """Keep the run's next writes in memory for `runs_changes`, until `unfollow_changes`
        (calls are counted, one `unfollow_changes` per `follow_changes`)."""
        self._recent.follow(RunKey(project_id, run_id))

    def unfollow_changes(self, project_id: str, run_id: str) -> None:
        self._recent.unfollow(RunKey(project_id, run_id))

    # -- CommandStore (SQL in commands.py) --------------------------------------------------

    def save_command(self, command: ControlCommand) -> ControlCommand:
        stored = replace(command, updated_at_us=self._next_version())
        with translated():
            params = commands.insert_params(stored)
            self._client().command(commands.INSERT_COMMAND, parameters=params)
        return stored

    def run_commands(
        self, project_id: str, run_ids: Sequence[str]
    ) -> dict[str, list[ControlCommand]]:
        return commands.run_commands(self._scoped(project_id), run_ids)

    def command(self, project_id: str, command_id: str) -> ControlCommand | None:
        return commands.command(self._scoped(project_id), command_id)

    def commands_in_states(
        self, project_id: str, kind: CommandKind, states: Sequence[CommandState]
    ) -> list[ControlCommand]:
        return commands.commands_in_states(self._scoped(project_id), kind, states)

    # -- KeyStore (SQL in keys.py) -----------------------------------------------------------

    def save_key(self, key: ApiKeyRecord) -> None:
        with translated():
            params = keys.insert_params(key, self._next_version())
            self._client().command(keys.INSERT_KEY, parameters=params)

    def find_key(self, key_id: str) -> ApiKeyRecord | None:
        # The one read not scoped to a project: it is what tells the project of a request.
        rows = self._rows(keys.FIND_KEY, {"key_id": key_id})
        return keys.key_from_row(rows[0]) if rows else None

    def list_keys(self, project_id: str | None = None) -> list[ApiKeyRecord]:
        params = {"all": project_id is None, "project_id": project_id or ""}
        return [keys.key_from_row(row) for row in self._rows(keys.LIST_KEYS, params)]

    def _scoped(self, project_id: str) -> Select:
        """The one read path of project data (see `ProjectReads`)."""
        return ProjectReads(self._table, project_id)

    def _table(self, sql: str, params: dict[str, Any]) -> pa.Table:
        with translated():
            return self._client().query_arrow(sql, parameters=params)

    def _rows(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self._table(sql, params).to_pylist()
        return rows


@dataclass(frozen=True, slots=True)
class ProjectReads:
    """Reads of one project's data: binds `project_id` into every statement and refuses a
    statement that does not filter on it, so no read can cross projects."""

    run: Callable[[str, dict[str, Any]], pa.Table]
    project_id: str

    def table(self, sql: str, params: dict[str, Any]) -> pa.Table:
        if _PROJECT_FILTER not in sql:
            raise PermanentStorageError(f"read not scoped to a project: {sql[:120]!r}")
        return self.run(sql, {**params, "project_id": self.project_id})

    def rows(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.table(sql, params).to_pylist()
        return rows


def _with_seq(rows: pa.Table, seq: int) -> pa.Table:
    return rows.append_column("ingest_seq", pa.repeat(pa.scalar(seq, pa.uint64()), rows.num_rows))


def _key_params(keys: Sequence[RunKey] | dict[RunKey, Any]) -> dict[str, Any]:
    ordered = list(keys)
    return {
        "project_ids": sorted({k.project_id for k in ordered}),
        "run_ids": sorted({k.run_id for k in ordered}),
        "keys": [(k.project_id, k.run_id) for k in ordered],
    }


__all__ = ["ClickHouseStore", "ClientFactory", "chdb_path", "client_factory"]
