"""An embedded ClickHouse node that knows a cluster: chDB started with a config file declaring
`remote_servers` (cluster `runlens`, one shard, one replica on 127.0.0.1 at the node's own
`tcp_port`), `macros` and a `testkeeper` ZooKeeper, so deploy/clickhouse/cluster.sql can run.

What chDB does with it (ClickHouse 26.9 embedded, measured by tests/storage/test_cluster.py):
- the shard's replica is recognised as this node (`system.clusters.is_local = 1`), so reads and
  writes through the Distributed tables are served in-process; chDB opens no TCP port;
- `ON CLUSTER` is refused (`Replicated DDL queries are disabled`: clickhouse-local runs no
  distributed DDL worker), so statements run here without it;
- the keeper is not started: Replicated tables are created and dropped, but they stay read-only
  (`system.replicas.is_readonly`) and an INSERT into one waits for a keeper forever.

Used three ways: `python -m tests.storage.cluster_node describe|load DIR` (one process per
engine start: chDB holds one path per process), and as the pytest plugin
`-p tests.storage.cluster_node`, which starts the engine with the config before the session
store opens it (`RUNLENS_TEST_CLUSTER_DIR`).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

CLUSTER_SQL = Path(__file__).parents[2] / "deploy" / "clickhouse" / "cluster.sql"
CLUSTER_DIR_ENV = "RUNLENS_TEST_CLUSTER_DIR"
TCP_PORT = 19000  # never bound: chDB only compares it with the shard's port

CONFIG = f"""<clickhouse>
    <tcp_port>{TCP_PORT}</tcp_port>
    <remote_servers>
        <runlens>
            <shard>
                <replica><host>127.0.0.1</host><port>{TCP_PORT}</port></replica>
            </shard>
        </runlens>
    </remote_servers>
    <macros>
        <cluster>runlens</cluster>
        <shard>01</shard>
        <replica>replica-1</replica>
    </macros>
    <zookeeper>
        <implementation>testkeeper</implementation>
    </zookeeper>
</clickhouse>
"""

_COMMENT = re.compile(r"--[^\n]*")
_ON_CLUSTER = " ON CLUSTER '{cluster}'"
_REPLICATED = re.compile(r"Replicated(\w*MergeTree)\('[^']*', '\{replica\}'(?:, )?")


def data_path(directory: Path) -> str:
    return os.path.realpath(directory / "data")


def connect(directory: Path) -> Any:
    """Start the engine on `directory`/data with the cluster config (first connection of the
    process) and return a raw chDB connection."""
    import chdb

    config = directory / "config.xml"
    config.write_text(CONFIG)
    return chdb.connect(f"{data_path(directory)}?config-file={config}")  # type: ignore[no-untyped-call]


def statements(replicated: bool) -> list[str]:
    """cluster.sql as statements this node runs: without ON CLUSTER, and with the Replicated
    engines swapped for their single-node twins unless `replicated`."""
    text = _COMMENT.sub("", CLUSTER_SQL.read_text()).replace(_ON_CLUSTER, "")
    if not replicated:
        text = _REPLICATED.sub(r"\1(", text)
    return [part.strip() for part in text.split(";") if part.strip()]


def _query(connection: Any, sql: str) -> list[dict[str, Any]]:
    out = str(connection.query(sql, "JSONEachRow"))
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def _describe(connection: Any) -> dict[str, Any]:
    """Every table of database `runlens`: engine, keys, TTL, columns and skip indexes."""
    tables = _query(
        connection,
        "SELECT name, engine, engine_full, sorting_key, partition_key, primary_key, "
        "as_select FROM system.tables WHERE database = 'runlens' ORDER BY name",
    )
    columns = _query(
        connection,
        "SELECT table, name, type, default_kind, default_expression, compression_codec "
        "FROM system.columns WHERE database = 'runlens' ORDER BY table, position",
    )
    indexes = _query(
        connection,
        "SELECT table, name, type_full, expr, granularity FROM system.data_skipping_indices "
        "WHERE database = 'runlens' ORDER BY table, name",
    )
    described: dict[str, Any] = {}
    for table in tables:
        name = table.pop("name")
        table["columns"] = [
            {k: v for k, v in c.items() if k != "table"} for c in columns if c["table"] == name
        ]
        table["indexes"] = [
            {k: v for k, v in i.items() if k != "table"} for i in indexes if i["table"] == name
        ]
        described[name] = table
    return described


def describe(directory: Path) -> dict[str, Any]:
    """The single-node schema (migrations), then cluster.sql with its Replicated engines: both
    described, every Replicated table's replica state, and what is left after dropping them."""
    from runlens.storage.clickhouse.migrate import migrate
    from runlens.storage.clickhouse.store import ClickHouseStore

    connection = connect(directory)
    store = ClickHouseStore(f"chdb://{data_path(directory)}")
    migrate(store._client())
    store.close()
    single = _describe(connection)
    connection.query("DROP DATABASE runlens SYNC")
    for statement in statements(replicated=True):
        if statement.startswith("INSERT INTO runlens.schema_migrations"):
            continue  # a Replicated table without a keeper: the insert would wait forever
        connection.query(statement)
    cluster = _describe(connection)
    replicas = _query(
        connection, "SELECT table, is_readonly FROM system.replicas WHERE database = 'runlens'"
    )
    replicated = [name for name, t in cluster.items() if t["engine"].startswith("Replicated")]
    for name in replicated:
        connection.query(f"DROP TABLE runlens.{name} SYNC")
    left = [
        t["name"]
        for t in _query(
            connection,
            "SELECT name FROM system.tables WHERE "
            "database = 'runlens' AND engine LIKE 'Replicated%'",
        )
    ]
    clusters = _query(connection, "SELECT cluster, shard_num, is_local FROM system.clusters")
    connection.close()
    return {
        "single": single,
        "cluster": cluster,
        "replicas": replicas,
        "dropped": replicated,
        "left": left,
        "clusters": clusters,
    }


def load(directory: Path) -> None:
    """Create the cluster schema with single-node engines under the Distributed tables."""
    connection = connect(directory)
    for statement in statements(replicated=False):
        connection.query(statement)
    connection.close()


def counts(directory: Path) -> dict[str, Any]:
    """Engines of the tables runlens uses and the rows stored in the local tables."""
    connection = connect(directory)
    engines = {
        row["name"]: row["engine"]
        for row in _query(
            connection, "SELECT name, engine FROM system.tables WHERE database = 'runlens'"
        )
    }
    rows = {
        name: int(_query(connection, f"SELECT count() AS n FROM runlens.{name}")[0]["n"])
        for name in engines
        if name.endswith("_local")
    }
    connection.close()
    return {"engines": engines, "rows": rows}


def pytest_configure(config: pytest.Config) -> None:
    """As a plugin: start the engine with the cluster config before any store opens it."""
    directory = os.environ.get(CLUSTER_DIR_ENV)
    if directory:
        config.stash[_ENGINE] = connect(Path(directory))


def pytest_unconfigure(config: pytest.Config) -> None:
    connection = config.stash.get(_ENGINE, None)
    if connection is not None:
        connection.close()


_ENGINE = pytest.StashKey[Any]()

if __name__ == "__main__":
    command, where = sys.argv[1], Path(sys.argv[2])
    if command == "describe":
        print(json.dumps(describe(where)))
    elif command == "load":
        load(where)
    elif command == "counts":
        print(json.dumps(counts(where)))
    else:
        raise SystemExit(f"unknown command {command!r}: describe, load or counts")
