"""Changes of followed runs served from memory (`recent.RecentWrites`): for every range memory
holds, exactly what the FINAL read of ClickHouse returns; other ranges and runs go to ClickHouse."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator

import pytest

from runlens.semconv.records import LogRecord, SpanRecord, SpanStatus
from runlens.storage.clickhouse import timeline
from runlens.storage.clickhouse.recent import RecentWrites
from runlens.storage.clickhouse.store import ClickHouseStore
from runlens.storage.contract import RunChanges, RunKey
from tests.storage.builders import SECOND, T0, llm, log, root, span, tool


def from_clickhouse(
    store: ClickHouseStore, project_id: str, run_ids: list[str], after: int, upto: int
) -> dict[str, RunChanges]:
    return timeline.runs_changes(store._scoped(project_id), run_ids, after, upto)


def test_memory_answers_every_range_as_clickhouse_does(
    store: ClickHouseStore, project_id: str
) -> None:
    runs = ["m1", "m2"]
    start = store.write([root(project_id, "before")], []).seq  # memory holds what follows
    for run_id in runs:
        store.follow_changes(project_id, run_id)
    try:
        marker = root(project_id, "m1", status=SpanStatus.RUNNING, end_time_unix_nano=0)
        writes = [
            store.write(
                [marker, tool(project_id, "m1", "t1", status=SpanStatus.RUNNING)],
                [log(project_id, "m1", span_id="t1", stream="stdout", seq=0, body='"a"')],
            ),
            store.write(  # another project's run of the same id, and a run nobody follows
                [root("other-project", "m1"), root(project_id, "unfollowed")],
                [log(project_id, "m1", span_id="t1", stream="stdout", seq=1, body='"b"')],
            ),
            store.write(
                [tool(project_id, "m1", "t1"), llm(project_id, "m2", "l1")],
                [log(project_id, "m1", span_id="l0", event_name="gen_ai.choice", body="{}")],
            ),
            store.write(  # delivered again: the later commit is the current version
                [tool(project_id, "m1", "t1", output='{"again": true}')],
                [log(project_id, "m1", span_id="t1", stream="stdout", seq=1, body='"b"')],
            ),
            store.write(
                [
                    dataclasses.replace(marker, status=SpanStatus.OK, end_time_unix_nano=T0 + 9),
                    span(project_id, "m2", "late", start_time_unix_nano=T0 - SECOND),
                ],
                [],
            ),
        ]
        seqs = [start] + [w.seq for w in writes]
        for after, upto in itertools.combinations(seqs, 2):
            found, missing = store._recent.changes(project_id, runs, after, upto)
            assert not missing
            assert found == from_clickhouse(store, project_id, runs, after, upto), (after, upto)
            assert store.runs_changes(project_id, runs, after, upto) == found
        changes = store.runs_changes(project_id, ["m1"], seqs[2], seqs[4])["m1"]
        assert [(seq, s.span_id) for seq, s in changes.spans] == [(seqs[4], "t1")]
        logs = [(seq, r.span_id, r.seq) for seq, r in changes.logs]
        assert logs == [(seqs[3], "l0", 0), (seqs[4], "t1", 1)]  # stdout 1 again: its later copy
    finally:
        for run_id in runs:
            store.unfollow_changes(project_id, run_id)


def test_what_memory_does_not_hold_is_read_from_clickhouse(
    store: ClickHouseStore, project_id: str
) -> None:
    before = store.write([root(project_id, "f1", status=SpanStatus.RUNNING)], [])
    store.follow_changes(project_id, "f1")
    try:
        after = store.write([span(project_id, "f1", "s1")], [])
        found, missing = store._recent.changes(project_id, ["f1", "nobody"], 0, after.seq)
        assert (found, missing) == ({}, ["f1", "nobody"])  # the run's first write predates
        found, missing = store._recent.changes(project_id, ["f1"], before.seq, after.seq)
        assert list(found) == ["f1"] and not missing
        whole = store.runs_changes(project_id, ["f1"], 0, after.seq)["f1"]
        assert [s.span_id for _, s in whole.spans] == ["root", "s1"]  # from ClickHouse
    finally:
        store.unfollow_changes(project_id, "f1")
    assert store._recent.followed == 0
    found, missing = store._recent.changes(project_id, ["f1"], before.seq, after.seq)
    assert (found, missing) == ({}, ["f1"])


def test_writes_older_than_the_retention_are_forgotten() -> None:
    recent = RecentWrites(retain_us=100)
    key = RunKey("p", "r")
    recent.follow(key)
    recent.follow(key)
    recent.add(1_000, [([span("p", "r", "a")], [])])
    recent.add(1_050, [([span("p", "r", "b")], [])])
    assert list(recent.changes("p", ["r"], 0, 1_050)[0]) == ["r"]
    recent.add(1_200, [([span("p", "r", "c")], [])])  # 1,000 and 1,050 fall out
    assert recent.changes("p", ["r"], 1_000, 1_200) == ({}, ["r"])
    kept, _ = recent.changes("p", ["r"], 1_099, 1_200)
    assert [s.span_id for _, s in kept["r"].spans] == ["c"]
    recent.unfollow(key)
    assert recent.followed == 1  # followed twice, unfollowed once
    recent.unfollow(key)
    assert recent.followed == 0


def test_writes_are_not_looked_at_while_no_run_is_followed() -> None:
    def unread() -> Iterator[tuple[list[SpanRecord], list[LogRecord]]]:
        raise AssertionError("the write's records were read")
        yield [], []

    recent = RecentWrites()
    recent.add(1_000, unread())  # the ingest path pays nothing while nobody follows a run
    recent.follow(RunKey("p", "r"))
    with pytest.raises(AssertionError, match="were read"):
        recent.add(1_001, unread())


def test_a_start_marker_stored_after_its_span_ended_comes_back_from_memory_only(
    store: ClickHouseStore, project_id: str
) -> None:
    store.follow_changes(project_id, "lm")
    try:
        ended = store.write([span(project_id, "lm", "s")], [])
        late = store.write([span(project_id, "lm", "s", status=SpanStatus.RUNNING)], [])
        stored = from_clickhouse(store, project_id, ["lm"], ended.seq, late.seq)["lm"]
        assert stored.spans == ()  # the ended version is current
        memory = store.runs_changes(project_id, ["lm"], ended.seq, late.seq)["lm"]
        assert [s.status for _, s in memory.spans] == [SpanStatus.RUNNING]
    finally:
        store.unfollow_changes(project_id, "lm")
