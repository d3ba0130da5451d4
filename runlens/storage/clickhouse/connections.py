"""The connections of a `ClickHouseStore` and the state its roles share.

One clickhouse-connect client per thread (chDB runs queries of different connections in
parallel and releases the GIL; one shared connection would serialize them). A DSN of the form
`chdb://PATH` embeds ClickHouse with its data in PATH (one process per path);
`http(s)://user:pass@host:8123/db` reaches a server. Tables always live in database `runlens`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import clickhouse_connect
import pyarrow as pa
from clickhouse_connect.driver.client import Client

from runlens.storage.clickhouse import queries as q
from runlens.storage.clickhouse.embedded import engine_stderr
from runlens.storage.clickhouse.errors import open_failure, translated
from runlens.storage.clickhouse.queries import PROJECT_FILTER as _PROJECT_FILTER
from runlens.storage.clickhouse.queries import Select
from runlens.storage.clickhouse.recent import RecentWrites
from runlens.storage.clickhouse.summaries import RunMemory
from runlens.storage.contract import PermanentStorageError, RetryableStorageError, RunKey

ClientFactory = Callable[[], Client]


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


def client_factory(dsn: str, **options: Any) -> ClientFactory:
    """Open a new client for `dsn` on each call (chDB paths normalised to absolute), with
    `options` of `clickhouse_connect.get_client` (`database`, `settings`)."""
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
        engine_said: list[str] = []
        try:
            if target.startswith("chdb:"):
                with engine_stderr(engine_said):
                    return clickhouse_connect.get_client(dsn=target, **options)
            return clickhouse_connect.get_client(dsn=target, **options)
        except Exception as exc:
            raise open_failure(exc, path, engine_said) from exc

    return connect


class StoreConnections:
    """Connections per thread, and the state the store's roles share (the writer fills
    `_unrefreshed` and `_recent`, the event reads consult them)."""

    def __init__(self, connect: ClientFactory | str, recent_writes: bool = True) -> None:
        """`recent_writes`: answer `runs_changes` of followed runs from this store's own writes
        (recent.py); only right where this store makes every write it is asked about, never in
        a process that follows the writes of others."""
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
        self._recent = RecentWrites() if recent_writes else None

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

    def _raw_chdb(self) -> Any:
        """This thread's own chDB connection when the store is embedded, else None."""
        self._client()  # the first client tells whether the store is embedded
        if self._chdb_path is None:
            return None
        raw = getattr(self._local, "raw", None)
        if raw is None:
            import chdb

            raw = chdb.connect(self._chdb_path)  # type: ignore[no-untyped-call,unused-ignore]
            with self._lock:
                self._raw.append(raw)
            self._local.raw = raw
        return raw

    def _next_version(self) -> int:
        """A summary version: the current time in µs, strictly increasing in this process."""
        with self._lock:
            self._last_version = max(self._last_version + 1, time.time_ns() // 1000)
            return self._last_version

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
