"""Live feeds (`live_feed`): the streams of one run share one feed, loaded once from storage
and then moved forward by the records the bus carries, with what `run_changes` would return."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence

from runlens.api.graphql.live_feed import FeedItem, live_feeds
from runlens.bus import LiveBus, LiveEvent
from runlens.semconv.records import LogRecord, SpanKind, SpanRecord, SpanStatus
from runlens.storage.clickhouse.store import ClickHouseStore
from runlens.storage.contract import RunChanges, RunSummary, WriteResult
from tests.storage.builders import llm, log, root, span


class CountingReader:
    """The store, counting the reads of changes and summaries."""

    def __init__(self, store: ClickHouseStore) -> None:
        self.store = store
        self.change_reads: list[tuple[str, int, int]] = []
        self.summary_reads = 0

    def run_changes(
        self, project_id: str, run_id: str, after_seq: int, upto_seq: int
    ) -> RunChanges:
        self.change_reads.append((run_id, after_seq, upto_seq))
        return self.store.run_changes(project_id, run_id, after_seq, upto_seq)

    def run_summaries(self, project_id: str, run_ids: Sequence[str]) -> list[RunSummary]:
        self.summary_reads += 1
        return self.store.run_summaries(project_id, run_ids)


def write(
    store: ClickHouseStore, bus: LiveBus, spans: list[SpanRecord], logs: Sequence[LogRecord] = ()
) -> tuple[WriteResult, list[LiveEvent]]:
    """Store the records and publish them, as the ingest pipeline does."""
    result = store.write(spans, logs)
    events = [LiveEvent.span(result.seq, s) for s in spans]
    events += [LiveEvent.log(result.seq, g) for g in logs]
    bus.publish(events)
    return result, events


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
    return sorted((seq, s.span_id, _status(s.status)) for seq, s in changes.spans)


def test_streams_of_one_run_read_storage_once_then_take_the_bus_records(
    store: ClickHouseStore, project_id: str
) -> None:
    async def main() -> None:
        bus = LiveBus()
        reader = CountingReader(store)
        feeds = live_feeds(reader, bus, project_id)
        marker = root(project_id, "r1", status=SpanStatus.RUNNING)
        w0, _ = write(store, bus, [marker])
        async with feeds.follow("r1") as first, feeds.follow("r1") as second:
            assert first is second and feeds.runs == 1
            await feeds.catch_up(first, w0.seq)  # loads the run once
            await feeds.catch_up(second, w0.seq)
            assert len(reader.change_reads) == 1
            commits = []
            for n in range(3):
                s = span(project_id, "r1", f"s{n}", status=SpanStatus.RUNNING)
                w, events = write(store, bus, [s])
                await asyncio.gather(
                    feeds.catch_up(first, w.seq, events), feeds.catch_up(second, w.seq, events)
                )
                commits.append(w.seq)
            assert len(reader.change_reads) == 1  # the bus carried the records: no read
            # each range is what the store holds for it (no gap, no duplicate)
            for after in (0, w0.seq, commits[1]):
                got = seen(first.between(after, commits[-1]))
                assert got == expected(store.run_changes(project_id, "r1", after, commits[-1]))
            ended, events = write(store, bus, [dataclasses.replace(marker, status=SpanStatus.OK)])
            await feeds.catch_up(second, ended.seq, events)
            await feeds.catch_up(first, ended.seq, events)
            assert seen(first.between(commits[-1], ended.seq)) == [(ended.seq, "root", "finished")]
        assert feeds.runs == 0

    asyncio.run(main())


def test_a_stream_behind_its_feed_reads_only_the_range_it_lacks(
    store: ClickHouseStore, project_id: str
) -> None:
    async def main() -> None:
        bus = LiveBus()
        reader = CountingReader(store)
        feeds = live_feeds(reader, bus, project_id)
        w0, _ = write(store, bus, [root(project_id, "a", status=SpanStatus.RUNNING)])
        async with feeds.follow("a") as feed:
            await feeds.catch_up(feed, w0.seq)
            w1, _ = write(
                store,
                bus,
                [span(project_id, "a", "x")],
                [log(project_id, "a", span_id="x", stream="stdout")],
            )
            # a stream that subscribed after w1: its bus events start above it, so the feed
            # reads (w0, w1] from storage
            await feeds.catch_up(feed, w1.seq)
            assert reader.change_reads[1:] == [("a", w0.seq, w1.seq)]
            assert [i.span_id for i in feed.between(w0.seq, w1.seq)] == ["x", ""]
            summaries = reader.summary_reads
            assert (await feeds.summary(feed)) == store.run_summary(project_id, "a")
            assert reader.summary_reads == summaries + 1
        assert feeds.runs == 0

    asyncio.run(main())


def test_a_late_start_marker_does_not_reopen_an_ended_span(
    store: ClickHouseStore, project_id: str
) -> None:
    async def main() -> None:
        bus = LiveBus()
        feeds = live_feeds(CountingReader(store), bus, project_id)
        w0, _ = write(store, bus, [root(project_id, "late", status=SpanStatus.RUNNING)])
        async with feeds.follow("late") as feed:
            await feeds.catch_up(feed, w0.seq)
            ended, events = write(store, bus, [span(project_id, "late", "s")])
            await feeds.catch_up(feed, ended.seq, events)
            late = span(project_id, "late", "s", status=SpanStatus.RUNNING)
            marker, events = write(store, bus, [late])
            await feeds.catch_up(feed, marker.seq, events)  # as written: the marker comes back
            assert feed.between(ended.seq, marker.seq) == []
            assert seen(feed.between(w0.seq, marker.seq)) == [(ended.seq, "s", "finished")]

    asyncio.run(main())


def test_a_genai_event_after_its_span_updates_the_event(
    store: ClickHouseStore, project_id: str
) -> None:
    async def main() -> None:
        bus = LiveBus()
        feeds = live_feeds(CountingReader(store), bus, project_id)
        call = llm(project_id, "g", "c", trace_id="g")
        w0, _ = write(store, bus, [root(project_id, "g", status=SpanStatus.RUNNING), call])
        async with feeds.follow("g") as feed:
            await feeds.catch_up(feed, w0.seq)
            [before] = [i for i in feed.between(0, w0.seq) if i.span_id == "c"]
            assert before.event is not None and before.event.span.input == ""
            question = log(
                project_id,
                "g",
                span_id="c",
                trace_id="g",
                event_name="gen_ai.user.message",
                body='{"content": "hello"}',
            )
            w1, events = write(store, bus, [], [question])
            await feeds.catch_up(feed, w1.seq, events)
            [after] = feed.between(w0.seq, w1.seq)
            assert after.span_id == "c" and after.event is not None
            assert after.event.span.kind is SpanKind.LLM_CALL
            assert "hello" in after.event.span.input

    asyncio.run(main())
