"""Conformance of `ClickHouseStore` to the SpanWriter / SpanReader contract, on real ClickHouse."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

import pytest
from clickhouse_connect.driver.client import Client

from runlens.semconv.records import (
    CostSource,
    LogRecord,
    SpanKind,
    SpanRecord,
    SpanStatus,
    TokenUsage,
)
from runlens.storage.clickhouse.store import ClickHouseStore
from runlens.storage.contract import LOST_REASON, RunKey, RunQuery, RunStatus, WriteResult

from .builders import SECOND, T0, full_span, llm, log, root, span, tool


def write(
    store: ClickHouseStore, spans: Sequence[SpanRecord], logs: Sequence[LogRecord]
) -> WriteResult:
    """Write, then refresh the summaries of the runs written, as the ingest pipeline does."""
    result = store.write(spans, logs)
    store.refresh_runs(result.runs)
    return result


def test_every_span_field_survives_a_round_trip(store: ClickHouseStore, project_id: str) -> None:
    original = full_span(project_id, "run-1")
    defaults = SpanRecord(
        project_id="", run_id="", trace_id="", span_id="", parent_span_id="",
        kind=SpanKind.OTHER, name="", status=SpanStatus.OK,
        start_time_unix_nano=0, end_time_unix_nano=0,
    )  # fmt: skip
    unset = [
        f.name
        for f in dataclasses.fields(SpanRecord)
        if getattr(original, f.name) == getattr(defaults, f.name)
    ]
    assert unset == [], f"extend full_span() (and the spans table) with {unset}"

    result = write(store, [original], [])

    assert result.spans_written == 1
    assert result.runs == (RunKey(project_id, "run-1"),)
    assert store.run_spans(project_id, "run-1") == [original]


def test_unset_optionals_stay_unset(store: ClickHouseStore, project_id: str) -> None:
    original = span(project_id, "run-1", "s1", cost_usd=None, temperature=None, max_tokens=None)

    write(store, [original], [])

    assert store.run_spans(project_id, "run-1") == [original]


def _run(project_id: str, run_id: str = "run-1") -> list[SpanRecord]:
    return [
        root(project_id, run_id, end_time_unix_nano=T0 + 10 * SECOND, agent_name="planner"),
        llm(project_id, run_id, "llm-1", start_time_unix_nano=T0 + SECOND),
        tool(project_id, run_id, "tool-1", start_time_unix_nano=T0 + 2 * SECOND),
        llm(project_id, run_id, "llm-2", start_time_unix_nano=T0 + 3 * SECOND),
    ]


def test_a_completed_run_is_summarised(store: ClickHouseStore, project_id: str) -> None:
    write(store, _run(project_id), [])

    summary = store.run_summary(project_id, "run-1")

    assert summary is not None
    assert summary.status == RunStatus.COMPLETED
    assert summary.status_reason == ""
    assert (summary.agent_id, summary.agent_name, summary.name) == (
        "planner",
        "planner",
        "agent run",
    )
    assert summary.started_at_unix_nano == T0
    assert summary.ended_at_unix_nano == T0 + 10 * SECOND
    assert summary.last_activity_unix_nano >= T0 + 10 * SECOND
    assert (summary.span_count, summary.action_count, summary.action_ok_count) == (4, 3, 3)
    assert (summary.turns, summary.error_count) == (2, 0)
    assert (summary.input_tokens, summary.cached_tokens, summary.cache_write_tokens) == (
        200,
        40,
        10,
    )
    assert (summary.output_tokens, summary.reasoning_tokens) == (100, 20)
    assert summary.cost_usd == pytest.approx(0.02)
    assert summary.unpriced_count == 0
    assert summary.models == ("gpt-4o",)
    assert (summary.error_type, summary.error_message) == ("", "")


def test_a_redelivered_batch_does_not_double_count(store: ClickHouseStore, project_id: str) -> None:
    batch = _run(project_id)
    write(store, batch, [])
    first = store.run_summary(project_id, "run-1")

    write(store, batch, [])
    write(store, batch[1:3], [])
    again = store.run_summary(project_id, "run-1")

    assert first is not None and again is not None
    assert dataclasses.replace(again, last_activity_unix_nano=0) == dataclasses.replace(
        first, last_activity_unix_nano=0
    )
    assert len(store.run_spans(project_id, "run-1")) == 4


def test_start_marker_then_ended_span_is_one_span(store: ClickHouseStore, project_id: str) -> None:
    marker = root(project_id, "run-1", status=SpanStatus.RUNNING, end_time_unix_nano=0)
    write(store, [marker, llm(project_id, "run-1", "llm-1", start_time_unix_nano=T0 + 1)], [])

    running = store.run_summary(project_id, "run-1")
    assert running is not None
    assert running.status == RunStatus.RUNNING
    assert running.ended_at_unix_nano == 0
    assert [s.status for s in store.run_spans(project_id, "run-1")] == [
        SpanStatus.RUNNING,
        SpanStatus.OK,
    ]

    ended = dataclasses.replace(marker, status=SpanStatus.OK, end_time_unix_nano=T0 + 5 * SECOND)
    write(store, [ended], [])

    spans = store.run_spans(project_id, "run-1")
    assert [(s.span_id, s.status) for s in spans] == [
        ("root", SpanStatus.OK),
        ("llm-1", SpanStatus.OK),
    ]
    done = store.run_summary(project_id, "run-1")
    assert done is not None
    assert done.status == RunStatus.COMPLETED
    assert done.ended_at_unix_nano == T0 + 5 * SECOND
    assert done.span_count == 2


def test_an_ended_span_wins_over_a_later_start_marker(
    store: ClickHouseStore, project_id: str
) -> None:
    ended = root(project_id, "run-1", status=SpanStatus.ERROR, error_type="Boom")
    marker = dataclasses.replace(ended, status=SpanStatus.RUNNING, end_time_unix_nano=0)

    write(store, [ended], [])
    write(store, [marker], [])

    assert store.run_spans(project_id, "run-1") == [ended]
    summary = store.run_summary(project_id, "run-1")
    assert summary is not None
    assert summary.status == RunStatus.FAILED


def test_marker_and_ended_span_in_one_batch(store: ClickHouseStore, project_id: str) -> None:
    ended = root(project_id, "run-1")
    marker = dataclasses.replace(ended, status=SpanStatus.RUNNING, end_time_unix_nano=0)

    write(store, [ended, marker], [])

    assert store.run_spans(project_id, "run-1") == [ended]


def test_llm_spans_sharing_a_response_id_count_once(
    store: ClickHouseStore, project_id: str
) -> None:
    usage = TokenUsage(input=1000, output=100)
    write(
        store,
        [
            root(project_id, "run-1"),
            llm(project_id, "run-1", "a", response_id="resp-1", usage=usage, cost_usd=1.0),
            llm(project_id, "run-1", "b", response_id="resp-1", usage=usage, cost_usd=1.0),
            llm(project_id, "run-1", "c", response_id="resp-2", usage=usage, cost_usd=1.0),
            llm(project_id, "run-1", "d", usage=usage, cost_usd=1.0),
            llm(project_id, "run-1", "e", usage=usage, cost_usd=1.0),
            tool(project_id, "run-1", "t", usage=usage, cost_usd=5.0),
        ],
        [],
    )

    summary = store.run_summary(project_id, "run-1")

    assert summary is not None
    assert (summary.input_tokens, summary.output_tokens) == (4000, 400)
    assert summary.cost_usd == pytest.approx(4.0)
    assert summary.turns == 4  # turns are counted calls too


def test_unpriced_calls_are_counted_not_priced(store: ClickHouseStore, project_id: str) -> None:
    write(store,
        [
            llm(project_id, "run-1", "a", cost_usd=None, cost_source=CostSource.UNPRICED,
                request_model="mystery-1"),
            llm(project_id, "run-1", "b", cost_usd=0.5, response_model="gpt-4o-2024"),
        ],
        [],
    )  # fmt: skip

    summary = store.run_summary(project_id, "run-1")

    assert summary is not None
    assert summary.unpriced_count == 1
    assert summary.cost_usd == pytest.approx(0.5)
    assert summary.models == ("gpt-4o-2024", "mystery-1")
    assert summary.status == RunStatus.RUNNING  # no root span yet


def test_a_run_fails_when_its_root_fails(store: ClickHouseStore, project_id: str) -> None:
    write(store,
        [
            tool(project_id, "run-1", "t1", status=SpanStatus.ERROR, error_type="ToolError",
                 error_message="no such file", start_time_unix_nano=T0 + SECOND),
            root(project_id, "run-1", status=SpanStatus.ERROR, error_type="AgentError",
                 error_message="gave up", start_time_unix_nano=T0 + 2 * SECOND),
        ],
        [],
    )  # fmt: skip

    summary = store.run_summary(project_id, "run-1")

    assert summary is not None
    assert summary.status == RunStatus.FAILED
    assert (summary.error_type, summary.error_message) == ("AgentError", "gave up")
    assert (summary.error_count, summary.action_count, summary.action_ok_count) == (2, 1, 0)


def test_a_failed_child_does_not_fail_a_completed_run(
    store: ClickHouseStore, project_id: str
) -> None:
    write(
        store,
        [
            root(project_id, "run-1"),
            tool(project_id, "run-1", "t1", status=SpanStatus.ERROR, error_type="ToolError"),
            tool(project_id, "run-1", "t2"),
        ],
        [],
    )

    summary = store.run_summary(project_id, "run-1")

    assert summary is not None
    assert summary.status == RunStatus.COMPLETED
    assert summary.error_type == "ToolError"
    assert (summary.action_count, summary.action_ok_count) == (2, 1)


def test_agent_falls_back_to_the_root_agent_then_the_service_name(
    store: ClickHouseStore, project_id: str
) -> None:
    write(store, [root(project_id, "run-1", service_name="svc", kind=SpanKind.OTHER)], [])
    write(store, [root(project_id, "run-2", service_name="svc", agent_id="id-7")], [])
    write(store, [root(project_id, "run-3", service_name="svc", name="invoke_agent planner")], [])

    one, two, three = (store.run_summary(project_id, f"run-{n}") for n in (1, 2, 3))

    assert one is not None and two is not None and three is not None
    assert (one.agent_id, one.agent_name) == ("svc", "svc")
    assert (two.agent_id, two.agent_name) == ("id-7", "id-7")
    assert (three.agent_id, three.agent_name) == ("planner", "planner")


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


def test_lost_runs_are_closed_and_reopened_by_new_spans(
    store: ClickHouseStore, project_id: str, sql: Client
) -> None:
    marker = root(project_id, "idle", status=SpanStatus.RUNNING, end_time_unix_nano=0)
    write(store, [marker, llm(project_id, "idle", "llm-1")], [])
    write(store, _run(project_id, "done"), [])
    time.sleep(0.05)
    cutoff = time.time_ns()
    time.sleep(0.05)
    write(store, [root(project_id, "busy", status=SpanStatus.RUNNING, end_time_unix_nano=0)], [])

    closed = store.close_lost_runs(idle_seconds=2, now_unix_nano=cutoff + 2 * SECOND)

    assert closed >= 1
    lost = store.run_summary(project_id, "idle")
    assert lost is not None
    assert (lost.status, lost.status_reason) == (RunStatus.FAILED, LOST_REASON)
    assert (lost.error_type, lost.error_message) == ("lost", "no activity for 2 s")
    assert lost.ended_at_unix_nano == lost.last_activity_unix_nano
    assert lost.input_tokens == 100
    busy, done = store.run_summary(project_id, "busy"), store.run_summary(project_id, "done")
    assert busy is not None and busy.status == RunStatus.RUNNING
    assert done is not None and done.status == RunStatus.COMPLETED
    assert store.close_lost_runs(idle_seconds=2, now_unix_nano=cutoff + 2 * SECOND) == 0

    write(store, [llm(project_id, "idle", "llm-2")], [])
    reopened = store.run_summary(project_id, "idle")
    assert reopened is not None
    assert (reopened.status, reopened.status_reason, reopened.error_type) == (
        RunStatus.RUNNING, "", "",
    )  # fmt: skip
    assert reopened.turns == 2

    write(
        store,
        [dataclasses.replace(marker, status=SpanStatus.OK, end_time_unix_nano=T0 + SECOND)],
        [],
    )
    finished = store.run_summary(project_id, "idle")
    assert finished is not None and finished.status == RunStatus.COMPLETED
    assert _summary_rows(sql, project_id, "idle") == 1


def test_projects_never_see_each_other(store: ClickHouseStore, project_id: str) -> None:
    other = project_id + "-other"
    write(store,
        [root(project_id, "shared-id", name="mine"), root(other, "shared-id", name="theirs"),
         llm(other, "shared-id", "x"), llm(other, "theirs-only", "y")],
        [log(project_id, "shared-id"), log(other, "shared-id", body='"theirs"')],
    )  # fmt: skip

    assert [s.name for s in store.run_spans(project_id, "shared-id")] == ["mine"]
    assert [r.body for r in store.run_logs(project_id, "shared-id")] == ['"hello"']
    mine = store.run_summary(project_id, "shared-id")
    assert mine is not None and (mine.name, mine.span_count) == ("mine", 1)
    assert store.run_summary(project_id, "theirs-only") is None
    assert store.run_spans(project_id, "theirs-only") == []
    listed = store.runs_page(RunQuery(project_id=project_id, limit=50))
    assert [r.run_id for r in listed] == ["shared-id"]


def test_list_runs_newest_first(store: ClickHouseStore, project_id: str) -> None:
    write(
        store,
        [root(project_id, f"run-{i}", start_time_unix_nano=T0 + i * SECOND) for i in range(5)],
        [],
    )

    runs = store.runs_page(RunQuery(project_id=project_id, limit=3))

    assert [r.run_id for r in runs] == ["run-4", "run-3", "run-2"]


def test_logs_round_trip_in_order_and_collapse_when_redelivered(
    store: ClickHouseStore, project_id: str
) -> None:
    chunks = [
        log(project_id, "run-1", stream="stdout", seq=i, body=f'"line {i}\\n"',
            time_unix_nano=T0 + i * 1000, end_of_stream=i == 2)
        for i in range(3)
    ]  # fmt: skip
    event = log(project_id, "run-1", span_id="llm-1", event_name="gen_ai.user.message",
                body='{"content": "hi"}', attributes={"gen_ai.system": "openai"},
                time_unix_nano=T0 - 1, truncated=True, binary=True)  # fmt: skip
    twin = dataclasses.replace(event, body='{"content": "hi again"}')

    result = write(store, [], [*chunks, event, twin])
    write(store, [], [chunks[1], event])

    assert result.logs_written == 5
    assert result.runs == (RunKey(project_id, "run-1"),)
    logs = store.run_logs(project_id, "run-1")
    assert sorted(logs[:2], key=lambda r: len(r.body)) == [event, twin]
    assert logs[2:] == chunks


def test_reads_from_many_threads(store: ClickHouseStore, project_id: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    write(store, _run(project_id), [])
    with ThreadPoolExecutor(4) as pool:
        counts = list(pool.map(lambda _: len(store.run_spans(project_id, "run-1")), range(16)))

    assert counts == [4] * 16


def test_an_empty_write_is_a_no_op(store: ClickHouseStore) -> None:
    assert write(store, [], []).runs == ()


def test_ping(store: ClickHouseStore) -> None:
    store.ping()


def _summary_rows(sql: Client, project_id: str, run_id: str) -> int:
    rows = sql.query(
        "SELECT count() FROM runlens.run_summaries FINAL "
        "WHERE project_id = {p:String} AND run_id = {r:String}",
        parameters={"p": project_id, "r": run_id},
    ).result_rows
    return int(rows[0][0])


def test_timelines_are_bounded_by_the_summary_but_miss_no_late_span(
    store: ClickHouseStore, project_id: str
) -> None:
    # A completed run, then a span arriving days later that starts days after the run's last
    # activity: before its refresh and after it, the timeline shows it.
    write(store, [root(project_id, "run-b", start_time_unix_nano=T0,
                      end_time_unix_nano=T0 + SECOND)], [])  # fmt: skip
    late_start = T0 + 5 * 86_400 * SECOND
    store.write([llm(project_id, "run-b", "late", start_time_unix_nano=late_start,
                     end_time_unix_nano=late_start + SECOND)], [])  # fmt: skip
    before = store.run_summaries(project_id, ["run-b"])
    assert before[0].status == RunStatus.COMPLETED and before[0].span_count == 1

    unrefreshed = store.run_timelines(project_id, ["run-b"], before)
    store.refresh_runs([RunKey(project_id, "run-b")])
    after = store.run_summaries(project_id, ["run-b"])
    refreshed = store.run_timelines(project_id, ["run-b"], after, fields={"name"}, logs=False)

    assert [s.span_id for s in unrefreshed["run-b"].spans][-1] == "late"
    assert len(refreshed["run-b"].spans) == 2
    narrow = refreshed["run-b"].spans[-1]
    assert narrow.span_id == "late" and narrow.name and narrow.input == ""


def test_a_narrow_timeline_read_fills_exactly_the_fields_asked_for(
    store: ClickHouseStore, project_id: str
) -> None:
    original = full_span(project_id, "run-n")
    write(store, [original], [])
    summaries = store.run_summaries(project_id, ["run-n"])

    def read(fields: set[str] | None) -> SpanRecord:
        found = store.run_timelines(project_id, ["run-n"], summaries, fields, logs=False)
        (only,) = found["run-n"].spans
        return only

    bare = read(set())
    assert read(None) == original
    assert (bare.span_id, bare.kind, bare.status, bare.start_time_unix_nano) == (
        original.span_id, original.kind, original.status, original.start_time_unix_nano,
    )  # fmt: skip
    for field in dataclasses.fields(SpanRecord):
        if getattr(bare, field.name) != getattr(original, field.name):
            value = getattr(original, field.name)
            assert read({field.name}) == dataclasses.replace(bare, **{field.name: value})


def _summary_columns(sql: Client, table: str, project_id: str) -> list[tuple[object, ...]]:
    """Every column the two summary tables share (`spans_seq` is in `run_summaries` only)."""
    columns = "* EXCEPT (spans_seq)" if table == "run_summaries" else "*"
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

    last = _summary_columns(sql, "run_summaries", project_id)
    assert last != first
    assert _summary_columns(sql, "run_summaries_by_id", project_id) == last
