"""The cluster DDL (deploy/clickhouse/cluster.sql) records every single-node migration, so
runlens' migrator never runs one against the Distributed tables."""

from __future__ import annotations

import re
from pathlib import Path

from runlens.storage.clickhouse.migrate import migrations

CLUSTER_SQL = Path(__file__).parents[2] / "deploy" / "clickhouse" / "cluster.sql"


def test_cluster_ddl_records_every_migration() -> None:
    text = CLUSTER_SQL.read_text()
    recorded = re.search(r"INTO runlens\.schema_migrations \(version, name\) VALUES (.*);", text)
    assert recorded is not None
    pairs = re.findall(r"\((\d+), '([a-z_]+)'\)", recorded.group(1))
    assert [(int(v), n) for v, n in pairs] == [(m.version, m.name) for m in migrations()]
