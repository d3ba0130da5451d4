"""What only ClickHouse shows of a store: summary rows (one per run, `first_seen_at` kept by a
second store, the by-id copy in step), beyond the conformance suite (tests/storage/conformance)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from clickhouse_connect.driver.client import Client

from runlens.semconv.records import (
    LogRecord,
    SpanRecord,
    SpanStatus,
)
from runlens.storage.clickhouse.store import ClickHouseStore
from runlens.storage.contract import LOST_REASON, RunStatus, WriteResult

from .builders import SECOND, T0, llm, root, tool


def write(
    store: ClickHouseStore, spans: Sequence[SpanRecord], logs: Sequence[LogRecord]
) -> WriteResult:
    """Write, then refresh the summaries of the runs written, as the ingest pipeline does."""
    result = store.write(spans, logs)
    store.refresh_runs(result.runs)
    return result


def test_a_late_span_of_an_old_run_is_still_counted(
    store: ClickHouseStore, project_id: str, chdb_dsn: str, sql: Client
) -> None:
    old = T0 - 3 * 86_400 * SECOND
    write(store, [root(project_id, "run-1", start_time_unix_nano=old,
                      end_time_unix_nano=old + SECOND)], [])  # fmt: skip
    write(store, [llm(project_id, "run-1", "late")], [])
    # A second store has no memory of the run: it reads the previous summary instead.
    other = ClickHouseStore.open(chdb_dsn)
    try:
        write(other, [llm(project_id, "run-1", "later", start_time_unix_nano=T0 + SECOND)], [])
    finally:
        other.close()

    summary = store.run_summary(project_id, "run-1")

    assert summary is not None
    assert summary.span_count == 3
    assert summary.started_at_unix_nano == old
    assert summary.status == RunStatus.COMPLETED
    assert _summary_rows(sql, project_id, "run-1") == 1


def _summary_rows(sql: Client, project_id: str, run_id: str) -> int:
    rows = sql.query(
        "SELECT count() FROM runlens.run_summaries FINAL "
        "WHERE project_id = {p:String} AND run_id = {r:String}",
        parameters={"p": project_id, "r": run_id},
    ).result_rows
    return int(rows[0][0])


def _summary_columns(sql: Client, table: str, project_id: str) -> list[tuple[object, ...]]:
    """Every column the two summary tables share (`spans_seq` and `refreshed_at` are in
    `run_summaries` only)."""
    columns = "* EXCEPT (spans_seq, refreshed_at)" if table == "run_summaries" else "*"
    return sql.query(
        f"SELECT {columns} FROM runlens.{table} FINAL WHERE project_id = {{p:String}} "
        "ORDER BY run_id",
        parameters={"p": project_id},
    ).result_rows


def test_summaries_by_id_follow_every_refresh_and_the_sweep(
    store: ClickHouseStore, project_id: str, sql: Client
) -> None:
    marker = root(project_id, "idle", status=SpanStatus.RUNNING, end_time_unix_nano=0)
    write(store, [marker, llm(project_id, "idle", "llm-1")], [])
    write(store, _run(project_id, "done"), [])
    first = _summary_columns(sql, "run_summaries", project_id)
    assert len(first) == 2
    assert _summary_columns(sql, "run_summaries_by_id", project_id) == first

    store.close_lost_runs(idle_seconds=0, now_unix_nano=time.time_ns() + SECOND)
    closed = store.run_summary(project_id, "idle")
    assert closed is not None and closed.status_reason == LOST_REASON
    write(store, [llm(project_id, "done", "llm-late")], [])

    write(store, [llm(project_id, "idle", "llm-2")], [])  # reopened: one row still
    last = _summary_columns(sql, "run_summaries", project_id)
    assert last != first and len(last) == 2
    assert _summary_columns(sql, "run_summaries_by_id", project_id) == last


def _run(project_id: str, run_id: str = "run-1") -> list[SpanRecord]:
    return [
        root(project_id, run_id, end_time_unix_nano=T0 + 10 * SECOND, agent_name="planner"),
        llm(project_id, run_id, "llm-1", start_time_unix_nano=T0 + SECOND),
        tool(project_id, run_id, "tool-1", start_time_unix_nano=T0 + 2 * SECOND),
        llm(project_id, run_id, "llm-2", start_time_unix_nano=T0 + 3 * SECOND),
    ]
