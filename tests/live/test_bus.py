"""The live bus on its own: fan-out by project and run, bounded queues, overflow, unsubscribe."""

from __future__ import annotations

import asyncio
import threading

from runlens.bus import LiveBus, LiveEvent, LiveEventType, Overflow


def span_event(seq: int, run_id: str = "run-1", project_id: str = "p") -> LiveEvent:
    return LiveEvent(LiveEventType.SPAN, project_id, run_id, seq, f"span-{seq}", "agent", "ok")


def test_events_reach_the_subscribers_of_their_project_and_run() -> None:
    async def main() -> None:
        bus = LiveBus()
        run = bus.subscribe("p", "run-1")
        project = bus.subscribe("p")
        other = bus.subscribe("q")
        runs_only = bus.subscribe("p", types=[LiveEventType.RUN_UPDATED])
        start = bus.last_seq
        bus.publish([span_event(start + 1), span_event(start + 2, run_id="run-2")])
        assert await run.next_batch() == [span_event(start + 1)]
        assert [e.run_id for e in await project.next_batch()] == ["run-1", "run-2"]
        assert other.queued == 0 and runs_only.queued == 0
        assert bus.last_seq == start + 2
        assert bus.subscribe("p").start_seq == start + 2

    asyncio.run(main())


def test_a_subscriber_that_does_not_read_is_bounded_then_told_where_to_resume() -> None:
    async def main() -> None:
        bus = LiveBus(max_queued=8)
        slow = bus.subscribe("p", "run-1")
        start = bus.last_seq

        def writer() -> None:  # publishes from another thread, like the ingest pipeline
            for n in range(1, 101):
                bus.publish([span_event(start + n)])
                assert slow.queued <= 8

        thread = threading.Thread(target=writer)
        thread.start()
        await asyncio.to_thread(thread.join, 30)
        assert not thread.is_alive()
        assert bus.peak_queued == 8
        batch = await slow.next_batch()
        assert [e.seq for e in batch] == [start + n for n in range(1, 9)]
        assert await asyncio.wait_for(slow.next_batch(), 5) == Overflow(start + 8)

    asyncio.run(main())


def test_a_waiting_subscriber_wakes_up_on_publish_from_another_thread() -> None:
    async def main() -> None:
        bus = LiveBus()
        subscription = bus.subscribe("p")
        seq = bus.last_seq + 1
        threading.Timer(0.05, bus.publish, [[span_event(seq)]]).start()
        assert await asyncio.wait_for(subscription.next_batch(), 10) == [span_event(seq)]

    asyncio.run(main())


def test_closing_a_subscription_removes_it() -> None:
    async def main() -> None:
        bus = LiveBus()
        async with bus.subscribe("p"), bus.subscribe("p", "run-1"):
            assert bus.subscriber_count == 2
        assert bus.subscriber_count == 0
        bus.publish([span_event(bus.last_seq + 1)])  # nobody to deliver to

    asyncio.run(main())
