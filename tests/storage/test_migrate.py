"""The schema migrator: applies every file once, in order, with the retention substituted."""

from __future__ import annotations

from clickhouse_connect.driver.client import Client

from runlens.storage.clickhouse.migrate import applied_versions, migrate, migrations
from runlens.storage.clickhouse.store import ClickHouseStore

from .builders import root


def test_migrations_are_numbered_files_in_order() -> None:
    found = migrations()

    assert [m.version for m in found] == sorted(m.version for m in found)
    assert [m.name for m in found][:4] == ["spans", "run_summaries", "logs", "control_commands"]


def test_retention_is_substituted_and_comments_are_dropped() -> None:
    spans = migrations()[0]

    statements = spans.statements(retention_days=30)

    assert len(statements) == 1
    assert "INTERVAL 30 DAY" in statements[0]
    assert "{retention_days}" not in statements[0]
    assert "--" not in statements[0]


def test_opening_twice_applies_nothing_new(
    store: ClickHouseStore, chdb_dsn: str, sql: Client
) -> None:
    again = ClickHouseStore.open(chdb_dsn)
    again.close()

    assert migrate(sql) == []
    assert applied_versions(sql) == {m.version for m in migrations()}
    rows = sql.query("SELECT count() FROM runlens.schema_migrations FINAL").result_rows
    assert rows[0][0] == len(migrations())
    store.ping()  # the first store is unaffected


def test_every_table_exists_with_its_retention(sql: Client) -> None:
    rows = sql.query(
        "SELECT name, engine, sorting_key, create_table_query FROM system.tables "
        "WHERE database = 'runlens' ORDER BY name"
    ).result_rows
    tables = {name: (engine, key, ddl) for name, engine, key, ddl in rows}

    assert set(tables) >= {
        "spans",
        "run_summaries",
        "logs",
        "control_commands",
        "schema_migrations",
    }
    for name in ("spans", "run_summaries", "logs", "control_commands"):
        engine, key, ddl = tables[name]
        assert engine == "ReplacingMergeTree"
        assert key.startswith("project_id")
        assert "toIntervalDay(90)" in ddl or "INTERVAL 90 DAY" in ddl
    assert "idx_run_id" in tables["spans"][2]
    assert "ttl_only_drop_parts = 1" in tables["spans"][2]


def test_wide_tables_merge_vertically(sql: Client) -> None:
    rows = sql.query(
        "SELECT name, create_table_query FROM system.tables "
        "WHERE database = 'runlens' AND name IN ('spans', 'logs')"
    ).result_rows

    assert len(rows) == 2
    for _, ddl in rows:
        assert "vertical_merge_algorithm_min_rows_to_activate = 1" in ddl


def test_summaries_stored_before_the_by_id_table_are_copied_into_it(
    store: ClickHouseStore, project_id: str, sql: Client
) -> None:
    store.refresh_runs(store.write([root(project_id, "run-1")], []).runs)
    summary = store.run_summary(project_id, "run-1")
    params = {"p": project_id}
    sql.command("DELETE FROM runlens.run_summaries_by_id WHERE project_id = {p:String}", params)
    assert store.run_summary(project_id, "run-1") is None

    (by_id,) = [m for m in migrations() if m.name == "run_summaries_by_id"]
    for statement in by_id.statements(retention_days=90):
        sql.command(statement)

    assert summary is not None and summary.span_count == 1
    assert store.run_summary(project_id, "run-1") == summary
    rows = sql.query(
        "SELECT count() FROM runlens.run_summaries_by_id FINAL WHERE project_id = {p:String}",
        parameters=params,
    ).result_rows
    assert rows[0][0] == 1
