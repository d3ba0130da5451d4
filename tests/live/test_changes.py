"""Commit sequences on real ClickHouse: every write gets a higher one, kept on its rows; a store
restarted knows which runs have a summary (the reads by sequence range are in
tests/storage/conformance/test_events.py)."""

from __future__ import annotations

from clickhouse_connect.driver.client import Client

from runlens.semconv.records import SpanStatus
from runlens.storage.clickhouse.migrate import migrations
from runlens.storage.clickhouse.store import ClickHouseStore
from runlens.storage.contract import RunKey
from tests.storage.builders import log, root, span


def test_each_write_gets_a_higher_sequence_kept_on_its_rows(
    store: ClickHouseStore, project_id: str, sql: Client
) -> None:
    first = store.write([root(project_id, "r1", status=SpanStatus.RUNNING)], [])
    second = store.write([span(project_id, "r1", "a")], [log(project_id, "r1", stream="stdout")])
    assert 0 < first.seq < second.seq
    rows = sql.query(
        "SELECT span_id, ingest_seq FROM runlens.spans WHERE project_id = {p:String} "
        "ORDER BY span_id",
        parameters={"p": project_id},
    ).result_rows
    assert rows == [("a", second.seq), ("root", first.seq)]
    logs = sql.query(
        "SELECT ingest_seq FROM runlens.logs WHERE project_id = {p:String}",
        parameters={"p": project_id},
    ).result_rows
    assert logs == [(second.seq,)]


def test_a_store_restarted_does_not_call_a_summarised_run_new(
    store: ClickHouseStore, project_id: str, chdb_dsn: str
) -> None:
    key = RunKey(project_id, "r1")
    store.refresh_runs(store.write([root(project_id, "r1")], []).runs)
    fresh = ClickHouseStore(chdb_dsn)  # as after a restart: nothing remembered
    try:
        assert fresh.refresh_runs([key]) == frozenset()
    finally:
        fresh.close()


def test_the_sequence_migration_can_run_again(sql: Client) -> None:
    [migration] = [m for m in migrations() if m.name == "ingest_seq"]
    for statement in migration.statements(retention_days=90):
        sql.command(statement)
