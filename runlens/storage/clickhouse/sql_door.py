"""`ReadOnlySql`: the store's SQL door. Users' statements run on connections of their own whose
session is read-only (`readonly = 1`: no writes, no DDL, no table functions that reach files,
URLs or other servers, no change of settings) with `runlens` as the current database. Before a
statement runs, ClickHouse's own parser (`EXPLAIN AST`, which evaluates nothing) tells what it
names: one statement (SELECT, DESCRIBE or SHOW), tables of `runlens` only, plus the few
`system` tables that clients read to connect and to list columns, and no `file()` function.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping

from clickhouse_connect.driver import exceptions as ch
from clickhouse_connect.driver.client import Client

from runlens.storage.clickhouse.errors import classify, engine_message
from runlens.storage.clickhouse.store import client_factory
from runlens.storage.contract import StorageError
from runlens.storage.sql import SqlError

DATABASE = "runlens"

SYSTEM_TABLES = frozenset(
    f"system.{name}"
    for name in (
        "one",
        "numbers",
        "zeros",
        "settings",
        "functions",
        "table_functions",
        "formats",
        "data_type_families",
        "time_zones",
        "databases",
        "tables",
        "columns",
    )
)
"""What clients read besides the data: clickhouse-connect reads `system.settings` when it
connects, BI tools list databases, tables and columns."""

TABLE_FUNCTIONS = frozenset({"numbers", "numbers_mt", "zeros", "zeros_mt", "generate_series"})
"""Table functions that read nothing (`merge()` would read other databases' tables)."""

_EXPLAIN = "EXPLAIN AST "
_STATEMENTS = ("SelectWithUnionQuery", "SelectIntersectExceptQuery", "DescribeQuery", "ShowTables")
_FUNCTIONS_REFUSED = frozenset({"file"})  # reads any file the process can read
_IDENTIFIER = re.compile(r"^\s*(?:Table)?Identifier (\S+)", re.M)
_FUNCTION = re.compile(r"^\s*Function (\S+)", re.M)
_TABLE_FUNCTION = re.compile(r"^( *)TableExpression \(children \d+\)\n\1 +Function (\S+)", re.M)
_FORMAT = re.compile(r"\s+FORMAT\s+([A-Za-z][A-Za-z0-9]*)\s*;?\s*$", re.I)

ACCESS_DENIED = 497
READONLY = 164


class ReadOnlySql:
    """A `SqlReader` over a ClickHouse DSN (`chdb://PATH` or a server)."""

    def __init__(self, dsn: str) -> None:
        self._connect = client_factory(dsn, database=DATABASE, settings={"readonly": 1})
        self._local = threading.local()
        self._clients: list[Client] = []
        self._lock = threading.Lock()
        self._databases: frozenset[str] | None = None

    def close(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()

    def _client(self) -> Client:
        client: Client | None = getattr(self._local, "client", None)
        if client is None:
            client = self._connect()
            with self._lock:
                self._clients.append(client)
            self._local.client = client
        return client

    def run_sql(self, sql: str, fmt: str, params: Mapping[str, str]) -> bytes:
        body, named = _split_format(sql)
        client = self._client()
        self._check(client, body, params)
        try:
            return client.raw_query(body, parameters=dict(params) or None, fmt=named or fmt)
        except ch.DatabaseError as exc:
            raise _sql_error(exc) from exc
        except Exception as exc:
            raise classify(exc) from exc

    def _check(self, client: Client, body: str, params: Mapping[str, str]) -> None:
        try:
            tree = client.raw_query(_EXPLAIN + body, parameters=dict(params) or None).decode()
            databases = self._known_databases(client)
        except ch.DatabaseError as exc:
            raise _sql_error(exc, shift=len(_EXPLAIN)) from exc
        except Exception as exc:
            raise classify(exc) from exc
        lines = tree.splitlines()
        roots = [line for line in lines if line and not line.startswith(" ")]
        if len(roots) != 1:
            raise SqlError(READONLY, "send one statement per query")
        if not roots[0].startswith(_STATEMENTS):
            raise SqlError(READONLY, "only SELECT, DESCRIBE and SHOW are served: SQL is read-only")
        for name in _IDENTIFIER.findall(tree):
            database = name.split(".", 1)[0].strip('`"')
            foreign = "." in name and database in databases and database != DATABASE
            if foreign and name not in SYSTEM_TABLES:
                raise SqlError(
                    ACCESS_DENIED, f"{name} is not served: SQL reads the {DATABASE} database only"
                )
        for function in _FUNCTION.findall(tree):
            if function.lower() in _FUNCTIONS_REFUSED:
                raise SqlError(ACCESS_DENIED, f"function {function}() is not served")
        for function in (m[1] for m in _TABLE_FUNCTION.findall(tree)):
            if function not in TABLE_FUNCTIONS:
                raise SqlError(ACCESS_DENIED, f"table function {function}() is not served")

    def _known_databases(self, client: Client) -> frozenset[str]:
        if self._databases is None:
            text = client.raw_query("SELECT name FROM system.databases", fmt="TabSeparatedRaw")
            self._databases = frozenset(text.decode().split())
        return self._databases


def _split_format(sql: str) -> tuple[str, str | None]:
    """The statement without a trailing `FORMAT name` clause, and that name."""
    text = sql.strip().rstrip(";").rstrip()
    found = _FORMAT.search(text)
    if found is None:
        return text, None
    return text[: found.start()], found.group(1)


def _sql_error(exc: ch.DatabaseError, shift: int = 0) -> SqlError | StorageError:
    """The engine's error as a `SqlError`; positions in a syntax error moved back by `shift`
    characters of text runlens put before the user's statement."""
    code = getattr(exc, "code", None)
    if code is None:
        found = re.search(r"Code: (\d+)", str(exc))
        code = int(found.group(1)) if found else None
    if code is None:
        return classify(exc)
    message = engine_message(str(exc))
    if shift:
        message = _POSITION.sub(lambda m: f"{m.group(1)}{max(int(m.group(2)) - shift, 0)}", message)
    return SqlError(int(code), message)


_POSITION = re.compile(r"(position |line 1, col )(\d+)")
