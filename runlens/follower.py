"""The store follower: the live bus of a process that ingests nothing (role `api`), fed with
what the ingesting processes stored, read from the store by commit sequence
(docs/operations.md, "Live updates across processes").

Each collector hands out commit sequences from its own clock, and a write becomes visible only
when its insert ends, so a write with a lower sequence can become visible after one with a
higher sequence. A subscriber that has read up to S is never shown anything at or below S
again, so the follower publishes a range only once nothing more can appear in it: every
collector reports how far it has stored (`ProgressLog`), and every `interval_s` the follower
reads `(published, W]`, W being the lowest report of the live collectors
(`WriteLog.writers_through`), publishes what it found in sequence order, and marks the range
published (`LiveBus.advance`).

Run summaries are not ordered by sequence (a collector recomputes them in a thread of its own):
the follower reads those recomputed in the last `summary_window_s`, de-duplicated by run and
refresh time, and publishes each one once the sequence it covers is published, so a subscriber told
of a summary can read every write it counts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from runlens.bus import LiveBus, LiveEvent, LiveEventType
from runlens.storage.contract import RunKey, StorageError
from runlens.storage.follow import StoredBetween, StoredSummary, WriteLog

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 0.1
WRITER_EXPIRY_S = 30.0
"""A collector that has not reported for this long is no longer waited for (it stopped, or
lost the store): its writes still in flight, if they ever land, may be missed live."""
SUMMARY_WINDOW_S = 10.0
"""How long after its recompute a run summary may become visible and still be published."""


def to_events(
    found: StoredBetween, summaries: list[StoredSummary], created: set[RunKey]
) -> list[LiveEvent]:
    """What the bus carries for the records of one range and the summaries due: records in
    sequence order, then one event per summary (`created`: the runs whose summary is new)."""
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
        for s in summaries
    )
    return events


class StoreFollower:
    """Reads the store by commit sequence in a thread of its own and publishes into a followed
    bus. `start()` places the bus and starts the thread; `stop()` ends it; `follow_once()` is
    one round."""

    def __init__(
        self,
        store: WriteLog,
        bus: LiveBus,
        interval_s: float = DEFAULT_INTERVAL_S,
        writer_expiry_s: float = WRITER_EXPIRY_S,
        summary_window_s: float = SUMMARY_WINDOW_S,
    ) -> None:
        if not bus.followed:
            raise ValueError("a store follower feeds a followed bus (LiveBus(followed=True))")
        self.bus = bus
        self.published = 0  # every write up to this sequence is published
        self.rounds = 0
        self._store = store
        self._interval_s = interval_s
        self._expiry_s = writer_expiry_s
        self._window_us = int(summary_window_s * 1_000_000)
        self._summaries_seen: set[tuple[RunKey, int]] = set()
        self._announced: dict[RunKey, int] = {}  # runs told created, by first-seen time
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="runlens-follower", daemon=True)

    def start(self) -> None:
        """Place the bus where the collectors have stored everything (or at the current time
        when none ever reported), then follow."""
        through = self._store.writers_through(self._expiry_s)
        self.published = through if through is not None else time.time_ns() // 1000
        self.bus.advance(self.published)
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
        """Publish what was stored in `(published, W]` and the summaries due; return how many
        events."""
        through = self._store.writers_through(self._expiry_s)
        after = self.published
        upto = max(after, through or 0)
        horizon = max(0, upto - self._window_us)
        found = self._store.stored_between(after, upto, summaries_after=horizon)
        due = self._due(found.summaries, upto, horizon)
        events = to_events(found, due, self._created(due, horizon))
        self.bus.publish(events)
        self.bus.advance(upto)
        self.published = upto
        self.rounds += 1
        return len(events)

    def _due(
        self, summaries: Sequence[StoredSummary], upto: int, horizon: int
    ) -> list[StoredSummary]:
        """The summaries not published yet whose covered writes are (the newest per run)."""
        self._summaries_seen = {seen for seen in self._summaries_seen if seen[1] > horizon}
        due: dict[RunKey, StoredSummary] = {}
        for summary in summaries:
            key = RunKey(summary.project_id, summary.run_id)
            seen = (key, summary.refreshed_us)
            if summary.spans_seq <= upto and seen not in self._summaries_seen:
                self._summaries_seen.add(seen)
                due[key] = summary
        return list(due.values())

    def _created(self, due: list[StoredSummary], horizon: int) -> set[RunKey]:
        """The runs whose summary is new: first seen within the window, and not told yet."""
        self._announced = {k: seen for k, seen in self._announced.items() if seen > horizon}
        created: set[RunKey] = set()
        for summary in due:
            key = RunKey(summary.project_id, summary.run_id)
            if summary.first_seen_us > horizon and key not in self._announced:
                self._announced[key] = summary.first_seen_us
                created.add(key)
        return created
