"""Shared live reads (`live_feed`): the streams of one run share one feed, and one read per
commit serves every followed run of the project, with exactly what `run_changes` returns."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence

from runlens.api.graphql.live_feed import FeedItem, LiveFeeds, live_feeds
from runlens.bus import LiveBus
from runlens.semconv.records import SpanStatus
from runlens.storage.clickhouse.store import ClickHouseStore
from runlens.storage.contract import RunChanges, RunSummary
from tests.storage.builders import log, root, span


class CountingReader:
    """The store, counting the reads of changes and summaries."""

    def __init__(self, store: ClickHouseStore) -> None:
        self.store = store
        self.change_reads: list[tuple[tuple[str, ...], int, int]] = []
        self.summary_reads = 0

    def run_changes(
        self, project_id: str, run_id: str, after_seq: int, upto_seq: int
    ) -> RunChanges:
        self.change_reads.append(((run_id,), after_seq, upto_seq))
        return self.store.run_changes(project_id, run_id, after_seq, upto_seq)

    def runs_changes(
        self, project_id: str, run_ids: Sequence[str], after_seq: int, upto_seq: int
    ) -> dict[str, RunChanges]:
        self.change_reads.append((tuple(sorted(run_ids)), after_seq, upto_seq))
        return self.store.runs_changes(project_id, run_ids, after_seq, upto_seq)

    def run_summaries(self, project_id: str, run_ids: Sequence[str]) -> list[RunSummary]:
        self.summary_reads += 1
        return self.store.run_summaries(project_id, run_ids)

    def follow_changes(self, project_id: str, run_id: str) -> None:
        self.store.follow_changes(project_id, run_id)

    def unfollow_changes(self, project_id: str, run_id: str) -> None:
        self.store.unfollow_changes(project_id, run_id)


def seen(items: list[FeedItem]) -> list[tuple[int, str, str]]:
    """(sequence, span id or "", chunk text or event status) of each item."""
    found: list[tuple[int, str, str]] = []
    for item in items:
        if item.event is not None:
            found.append((item.seq, item.span_id, _status(item.event.span.status)))
        else:
            assert item.chunk is not None
            found.append((item.seq, "", item.chunk.text))
    return found


def _status(status: SpanStatus) -> str:
    return "running" if status is SpanStatus.RUNNING else "finished"


def expected(changes: RunChanges) -> list[tuple[int, str, str]]:
    spans = [
        (seq, s.span_id, "running" if s.status is SpanStatus.RUNNING else "finished")
        for seq, s in changes.spans
    ]
    return sorted(spans)  # one span per commit here: the order within a commit does not matter


def test_two_streams_of_one_run_cost_one_read_per_commit(
    store: ClickHouseStore, project_id: str
) -> None:
    async def main() -> None:
        bus = LiveBus()
        reader = CountingReader(store)
        feeds = live_feeds(reader, bus, project_id)
        marker = root(project_id, "r1", status=SpanStatus.RUNNING)
        w0 = store.write([marker], [])
        async with feeds.follow("r1") as first, feeds.follow("r1") as second:
            assert first is second and feeds.runs == 1
            assert store._recent.followed == 1  # the store keeps the run's writes meanwhile
            await feeds.catch_up(first, w0.seq)  # loads the run once
            await feeds.catch_up(second, w0.seq)
            assert len(reader.change_reads) == 1
            commits = []
            for n in range(3):
                w = store.write([span(project_id, "r1", f"s{n}", status=SpanStatus.RUNNING)], [])
                bus._last_seq = w.seq  # as a publish after the write would
                await asyncio.gather(feeds.catch_up(first, w.seq), feeds.catch_up(second, w.seq))
                commits.append(w.seq)
            assert len(reader.change_reads) == 1 + 3  # one read per commit, not one per stream
            # each range a stream asks for is what the store holds for it (no gap, no duplicate)
            for after in (0, w0.seq, commits[1]):
                got = seen(first.between(after, commits[-1]))
                assert got == expected(store.run_changes(project_id, "r1", after, commits[-1]))
            ended = store.write([dataclasses.replace(marker, status=SpanStatus.OK)], [])
            bus._last_seq = ended.seq
            await feeds.catch_up(second, ended.seq)
            await feeds.catch_up(first, ended.seq)
            assert len(reader.change_reads) == 5
            everything = first.between(0, ended.seq)
            assert [item.seq for item in everything] == sorted(item.seq for item in everything)
            assert seen(first.between(commits[-1], ended.seq)) == [(ended.seq, "root", "finished")]
        assert feeds.runs == 0
        assert store._recent.followed == 0

    asyncio.run(main())


def test_one_read_serves_every_followed_run_and_late_streams_replay_from_memory(
    store: ClickHouseStore, project_id: str
) -> None:
    async def main() -> None:
        bus = LiveBus()
        reader = CountingReader(store)
        feeds: LiveFeeds = live_feeds(reader, bus, project_id)
        w0 = store.write(
            [root(project_id, "a", status=SpanStatus.RUNNING), root(project_id, "b")], []
        )
        async with feeds.follow("a") as a, feeds.follow("b") as b:
            await feeds.catch_up(a, w0.seq)
            await feeds.catch_up(b, w0.seq)
            loads = len(reader.change_reads)
            w1 = store.write(
                [span(project_id, "a", "x"), span(project_id, "b", "y")],
                [log(project_id, "b", span_id="y", stream="stdout")],
            )
            bus._last_seq = w1.seq
            await feeds.catch_up(a, w1.seq)
            await feeds.catch_up(b, w1.seq)  # read in the same round as a's
            assert reader.change_reads[loads:] == [(("a", "b"), w0.seq, w1.seq)]
            assert [i.span_id for i in b.between(w0.seq, w1.seq)] == ["y", ""]
            async with feeds.follow("a") as late:  # a later stream of a: no read at all
                assert late is a
                await feeds.catch_up(late, w1.seq)
                assert len(reader.change_reads) == loads + 1
                assert [i.span_id for i in late.between(0, w1.seq)] == ["root", "x"]
            summaries = reader.summary_reads
            found = await asyncio.gather(feeds.summary(a), feeds.summary(b))
            assert reader.summary_reads - summaries <= 2  # usually one read for both runs
            assert {s.run_id for s in found if s is not None} <= {"a", "b"}
        assert feeds.runs == 0

    asyncio.run(main())


def test_a_late_start_marker_does_not_reopen_an_ended_span(
    store: ClickHouseStore, project_id: str
) -> None:
    async def main() -> None:
        bus = LiveBus()
        feeds = live_feeds(CountingReader(store), bus, project_id)
        w0 = store.write([root(project_id, "late", status=SpanStatus.RUNNING)], [])
        async with feeds.follow("late") as feed:
            await feeds.catch_up(feed, w0.seq)
            ended = store.write([span(project_id, "late", "s")], [])
            bus._last_seq = ended.seq
            await feeds.catch_up(feed, ended.seq)
            marker = store.write([span(project_id, "late", "s", status=SpanStatus.RUNNING)], [])
            bus._last_seq = marker.seq
            await feeds.catch_up(feed, marker.seq)  # from memory: the marker comes back
            assert feed.between(ended.seq, marker.seq) == []
            assert seen(feed.between(w0.seq, marker.seq)) == [(ended.seq, "s", "finished")]

    asyncio.run(main())
