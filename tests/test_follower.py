"""The store follower's cursor over two writers (two stores on the session's database): a write
with a lower commit sequence that becomes visible after one with a higher sequence is still
published first, because the follower never passes a sequence a live writer may still store."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import pytest

from runlens.bus import LiveBus, LiveEvent, LiveEventType, Subscription
from runlens.follower import StoreFollower
from runlens.storage.clickhouse.store import ClickHouseStore
from tests.storage.builders import llm, root


@pytest.fixture
def writers(chdb_dsn: str) -> Iterator[tuple[ClickHouseStore, ClickHouseStore]]:
    first, second = ClickHouseStore.open(chdb_dsn), ClickHouseStore.open(chdb_dsn)
    yield first, second
    first.close()
    second.close()


def test_a_write_that_lands_late_is_published_before_later_ones(
    writers: tuple[ClickHouseStore, ClickHouseStore], store: ClickHouseStore, project_id: str
) -> None:
    asyncio.run(_late_write(*writers, store, project_id))


async def _late_write(
    a: ClickHouseStore, b: ClickHouseStore, reader: ClickHouseStore, project_id: str
) -> None:
    ids = {name: f"{name}-{uuid.uuid4().hex[:8]}" for name in ("a", "b")}
    a.register_writer(ids["a"])
    b.register_writer(ids["b"])
    bus = LiveBus(followed=True)
    follower = StoreFollower(reader, bus, interval_s=3600)  # rounds by hand
    follower.start()
    subscription = bus.subscribe(project_id, "run")
    try:
        late = a.next_seq()  # a's write begins, and takes long
        a.report_progress(ids["a"], late - 1)
        written = b.write([root(project_id, "run")], [])
        assert written.seq > late
        b.refresh_runs(written.runs)
        b.report_progress(ids["b"], b.next_seq())

        follower.follow_once()
        assert follower.published == late - 1  # not past a's write under way
        assert subscription.queued == 0  # b's span and the summary counting it wait

        a.write_encoded([a.encode([llm(project_id, "run", "call")], [])], late)
        a.report_progress(ids["a"], a.next_seq())
        follower.follow_once()
        assert follower.published > written.seq
        events = await _taken(subscription)
        assert [(e.type, e.seq, e.span_id) for e in events] == [
            (LiveEventType.SPAN, late, "call"),
            (LiveEventType.SPAN, written.seq, "root"),
            (LiveEventType.RUN_CREATED, written.seq, ""),
        ]

        b.write([llm(project_id, "run", "call", end_time_unix_nano=time.time_ns())], [])
        b.refresh_runs(written.runs)
        for writer in ("a", "b"):
            store = a if writer == "a" else b
            store.report_progress(ids[writer], store.next_seq(), retired=True)
        follower.follow_once()  # no live writer: up to the highest report
        events = await _taken(subscription)
        assert [e.type for e in events] == [LiveEventType.SPAN, LiveEventType.RUN_UPDATED]
        assert bus.last_seq == follower.published
    finally:
        subscription.close()
        follower.stop()


def test_a_writer_that_stopped_reporting_is_no_longer_waited_for(
    writers: tuple[ClickHouseStore, ClickHouseStore], store: ClickHouseStore
) -> None:
    a, b = writers
    a_id, b_id = f"a-{uuid.uuid4().hex[:8]}", f"b-{uuid.uuid4().hex[:8]}"
    a.register_writer(a_id)
    stuck = a.next_seq()
    a.report_progress(a_id, stuck)
    b.register_writer(b_id)
    follower = StoreFollower(store, LiveBus(followed=True), interval_s=3600, writer_expiry_s=1.0)
    follower.start()
    try:
        b.report_progress(b_id, b.next_seq())
        follower.follow_once()
        assert follower.published <= stuck
        time.sleep(1.2)
        ahead = b.next_seq()
        b.report_progress(b_id, ahead)
        follower.follow_once()
        assert follower.published == ahead
    finally:
        follower.stop()
        b.report_progress(b_id, b.next_seq(), retired=True)
        a.report_progress(a_id, a.next_seq(), retired=True)


async def _taken(subscription: Subscription) -> list[LiveEvent]:
    batch = await asyncio.wait_for(subscription.next_batch(), 5)
    assert isinstance(batch, list)
    return batch
