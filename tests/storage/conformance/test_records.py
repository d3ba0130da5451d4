"""Every backend stores and reads back the same records: round trips, one current version per
span and log record, projects kept apart, timelines."""

from __future__ import annotations

import dataclasses

import pytest

from runlens.semconv.records import LogRecord, SpanKind, SpanRecord, SpanStatus, TokenUsage
from runlens.storage.contract import PermanentStorageError, RunKey, RunQuery, RunStatus, Store

from ..builders import SECOND, T0, full_span, llm, log, root, span, tool
from .support import write


def _run(project_id: str, run_id: str = "run-1") -> list[SpanRecord]:
    return [
        root(project_id, run_id, end_time_unix_nano=T0 + 10 * SECOND, agent_name="planner"),
        llm(project_id, run_id, "llm-1", start_time_unix_nano=T0 + SECOND),
        tool(project_id, run_id, "tool-1", start_time_unix_nano=T0 + 2 * SECOND),
        llm(project_id, run_id, "llm-2", start_time_unix_nano=T0 + 3 * SECOND),
    ]


def test_every_span_field_survives_a_round_trip(store: Store, project_id: str) -> None:
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


def test_unset_optionals_stay_unset(store: Store, project_id: str) -> None:
    original = span(project_id, "run-1", "s1", cost_usd=None, temperature=None, max_tokens=None)

    write(store, [original], [])

    assert store.run_spans(project_id, "run-1") == [original]


def test_a_redelivered_batch_does_not_double_count(store: Store, project_id: str) -> None:
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


def test_start_marker_then_ended_span_is_one_span(store: Store, project_id: str) -> None:
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


def test_an_ended_span_wins_over_a_later_start_marker(store: Store, project_id: str) -> None:
    ended = root(project_id, "run-1", status=SpanStatus.ERROR, error_type="Boom")
    marker = dataclasses.replace(ended, status=SpanStatus.RUNNING, end_time_unix_nano=0)

    write(store, [ended], [])
    write(store, [marker], [])

    assert store.run_spans(project_id, "run-1") == [ended]
    summary = store.run_summary(project_id, "run-1")
    assert summary is not None
    assert summary.status == RunStatus.FAILED


def test_marker_and_ended_span_in_one_batch(store: Store, project_id: str) -> None:
    ended = root(project_id, "run-1")
    marker = dataclasses.replace(ended, status=SpanStatus.RUNNING, end_time_unix_nano=0)

    write(store, [ended, marker], [])

    assert store.run_spans(project_id, "run-1") == [ended]


def test_projects_never_see_each_other(store: Store, project_id: str) -> None:
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


def test_logs_round_trip_in_order_and_collapse_when_redelivered(
    store: Store, project_id: str
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


def test_reads_from_many_threads(store: Store, project_id: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    write(store, _run(project_id), [])
    with ThreadPoolExecutor(4) as pool:
        counts = list(pool.map(lambda _: len(store.run_spans(project_id, "run-1")), range(16)))

    assert counts == [4] * 16


def test_an_empty_write_is_a_no_op(store: Store) -> None:
    assert write(store, [], []).runs == ()


def test_ping(store: Store) -> None:
    store.ping()


def test_timelines_are_bounded_by_the_summary_but_miss_no_late_span(
    store: Store, project_id: str
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
    store: Store, project_id: str
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


@pytest.mark.parametrize(
    ("spans", "logs"),
    [
        ([llm("p", "run-1", "a", usage=TokenUsage(input=-1))], []),
        ([span("p", "run-1", "a", code_lineno=1 << 32)], []),
        ([], [log("p", "run-1", severity_number=256)]),
        ([span("p", "run-1", "a")], [log("p", "run-1", stream="stdout", seq=-1)]),
    ],
    ids=["negative tokens", "line number", "severity", "chunk seq"],
)
def test_data_that_cannot_be_stored_is_a_permanent_error(
    store: Store, project_id: str, spans: list[SpanRecord], logs: list[LogRecord]
) -> None:
    spans = [dataclasses.replace(s, project_id=project_id) for s in spans]
    logs = [dataclasses.replace(g, project_id=project_id) for g in logs]

    with pytest.raises(PermanentStorageError):
        store.write(spans, logs)

    assert store.run_spans(project_id, "run-1") == []
    assert store.run_logs(project_id, "run-1") == []
