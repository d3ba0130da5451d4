"""Commit sequences on real ClickHouse: every write gets a higher one, and a run's changes are
read back by sequence range (spans in their current version, log records as stored)."""

from __future__ import annotations

import dataclasses

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


def test_changes_are_read_by_sequence_range(store: ClickHouseStore, project_id: str) -> None:
    marker = root(project_id, "r1", status=SpanStatus.RUNNING)
    w1 = store.write([marker], [])
    w2 = store.write([span(project_id, "r1", "a")], [log(project_id, "r1", stream="stdout")])
    w3 = store.write([dataclasses.replace(marker, status=SpanStatus.OK)], [])
    store.write([span(project_id, "other", "b")], [])

    everything = store.run_changes(project_id, "r1", 0, w3.seq)
    # The root is one span, in its ended version, at the sequence that stored that version.
    assert [(seq, s.span_id, s.status) for seq, s in everything.spans] == [
        (w2.seq, "a", SpanStatus.OK),
        (w3.seq, "root", SpanStatus.OK),
    ]
    assert [(seq, g.stream) for seq, g in everything.logs] == [(w2.seq, "stdout")]

    middle = store.run_changes(project_id, "r1", w1.seq, w2.seq)
    assert [s.span_id for _, s in middle.spans] == ["a"]
    assert store.run_changes(project_id, "r1", w3.seq, w3.seq + 10**9).spans == ()
    assert store.run_changes(project_id, "r1", w2.seq, w1.seq).spans == ()


def test_a_refresh_tells_which_runs_are_new(
    store: ClickHouseStore, project_id: str, chdb_dsn: str
) -> None:
    store.write([root(project_id, "r1", status=SpanStatus.RUNNING)], [])
    key = RunKey(project_id, "r1")
    assert store.refresh_runs([key]) == {key}
    store.write([root(project_id, "r1")], [])
    assert store.refresh_runs([key]) == frozenset()
    fresh = ClickHouseStore(chdb_dsn)  # as after a restart: nothing remembered
    try:
        assert fresh.refresh_runs([key]) == frozenset()
    finally:
        fresh.close()


def test_the_sequence_migration_can_run_again(sql: Client) -> None:
    [migration] = [m for m in migrations() if m.name == "ingest_seq"]
    for statement in migration.statements(retention_days=90):
        sql.command(statement)
