"""The store follower: the live bus of a process that ingests nothing (role `api`), fed with
what the collectors stored, read from the store by commit sequence (docs/operations.md,
"Live updates across processes").

Several collectors hand out commit sequences from their own clocks, and a write becomes
visible only when its insert ends: a write with a lower sequence can become visible after one
with a higher sequence. A subscriber that has read up to S is never shown anything at or below
S again, so the follower publishes a range only once nothing more can appear in it: every
`interval_s` it reads `(published, now - lag]` (`WriteLog.stored_between`), publishes what it
found in sequence order, then marks the whole range published (`LiveBus.advance`). `lag` (the
bus's `lag_us`) bounds how long a write may take from its sequence to its visibility, clock
differences between processes included. Run summaries follow the same way by their version; a
summary's covered sequence is never above its version, so the spans it counts are published
first.
"""

from __future__ import annotations

import logging
import threading
import time

from runlens.bus import LiveBus, LiveEvent, LiveEventType
from runlens.storage.contract import RunKey, StorageError
from runlens.storage.follow import StoredBetween, WriteLog

log = logging.getLogger(__name__)

DEFAULT_LAG_S = 1.0
"""How far behind the clock an API process publishes: a write's insert must be visible within
this long of its commit sequence (inserts take ~30 ms; a stalled store, or clocks set apart,
can take longer)."""

DEFAULT_INTERVAL_S = 0.1


def to_events(found: StoredBetween, created: set[RunKey]) -> list[LiveEvent]:
    """What the bus carries for the records and summaries of one range: records in sequence
    order, then one event per refreshed run (`created`: the runs whose summary is new)."""
    events = [
        LiveEvent(
            LiveEventType.LOG if r.is_log else LiveEventType.SPAN,
            r.project_id,
            r.run_id,
            r.seq,
            r.span_id,
            r.kind,
            r.status,
        )
        for r in found.records
    ]
    events.extend(
        LiveEvent(
            LiveEventType.RUN_CREATED
            if RunKey(s.project_id, s.run_id) in created
            else LiveEventType.RUN_UPDATED,
            s.project_id,
            s.run_id,
            s.spans_seq,
        )
        for s in found.summaries
    )
    return events


class StoreFollower:
    """Reads the store by commit sequence in a thread of its own and publishes into `bus`.
    Start with `start()`, end with `stop()`; `follow_once()` is one round."""

    def __init__(
        self, store: WriteLog, bus: LiveBus, interval_s: float = DEFAULT_INTERVAL_S
    ) -> None:
        if not bus.lag_us:
            raise ValueError("a followed bus needs a lag (LiveBus(lag_us=...))")
        self.bus = bus
        self.published = bus.last_seq  # every write up to this sequence is published
        self.rounds = 0
        self._store = store
        self._interval_s = interval_s
        self._announced: dict[RunKey, int] = {}  # runs told created, by first-seen time
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="runlens-follower", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self.follow_once()
            except StorageError:
                log.warning("following the store failed; will retry", exc_info=True)
            except Exception:
                log.exception("unexpected error while following the store")

    def follow_once(self) -> int:
        """Publish what was stored in `(published, now - lag]`; return how many events."""
        upto = time.time_ns() // 1000 - self.bus.lag_us
        after = self.published
        if upto <= after:
            return 0
        found = self._store.stored_between(after, upto)
        events = to_events(found, self._created(found, after))
        self.bus.publish(events)
        self.bus.advance(upto)
        self.published = upto
        self.rounds += 1
        return len(events)

    def _created(self, found: StoredBetween, after: int) -> set[RunKey]:
        """The runs of the range whose summary is new. A run's first summary was recomputed
        (`first_seen`) less than `lag` before its version; every later one has a version
        above the first's. So a summary in a range that starts more than `lag` after the run
        was first seen is not its first, and a run told created less than `lag` ago is
        remembered until then."""
        horizon = after - self.bus.lag_us
        self._announced = {k: seen for k, seen in self._announced.items() if seen > horizon}
        created: set[RunKey] = set()
        for summary in found.summaries:
            key = RunKey(summary.project_id, summary.run_id)
            if summary.first_seen_us > horizon and key not in self._announced:
                self._announced[key] = summary.first_seen_us
                created.add(key)
        return created
