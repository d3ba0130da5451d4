"""What the run-summary recompute carries from one write to the next.

`first_seen_at` is part of `run_summaries`' sorting key, so it must never change once a run has
a summary row: it is remembered here (bounded, oldest entries evicted) and, on a miss, read from
the run's previous summary row. `started_at` bounds the recompute's scan of `spans` from below
so that it prunes day partitions (a late span of an old run is still found: the bound is the
run's known start, minus a day of slack for clock skew).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from runlens.storage.contract import RunKey

LOWER_BOUND_SLACK_NS = 86_400 * 1_000_000_000


@dataclass(frozen=True, slots=True)
class RunMemo:
    first_seen_us: int
    started_ns: int


class RunMemory:
    """Thread-safe, bounded map RunKey -> RunMemo."""

    def __init__(self, capacity: int = 200_000) -> None:
        self._capacity = capacity
        self._items: OrderedDict[RunKey, RunMemo] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: Iterable[RunKey]) -> tuple[dict[RunKey, RunMemo], list[RunKey]]:
        """The known memos and the keys that are not known."""
        found: dict[RunKey, RunMemo] = {}
        missing: list[RunKey] = []
        with self._lock:
            for key in keys:
                memo = self._items.get(key)
                if memo is None:
                    missing.append(key)
                else:
                    self._items.move_to_end(key)
                    found[key] = memo
        return found, missing

    def put_many(self, memos: dict[RunKey, RunMemo]) -> None:
        with self._lock:
            for key, memo in memos.items():
                self._items[key] = memo
                self._items.move_to_end(key)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def plan(
    touched: dict[RunKey, int],
    known: dict[RunKey, RunMemo],
    now_us: int,
) -> tuple[dict[RunKey, RunMemo], int]:
    """Memos for every touched run (new runs are first seen now) and the scan's lower bound.

    `touched` maps each run to the earliest start time (ns) of its records in this batch.
    """
    memos: dict[RunKey, RunMemo] = {}
    for key, batch_start_ns in touched.items():
        previous = known.get(key)
        if previous is None:
            memos[key] = RunMemo(first_seen_us=now_us, started_ns=batch_start_ns)
        else:
            memos[key] = RunMemo(
                first_seen_us=previous.first_seen_us,
                started_ns=min(previous.started_ns, batch_start_ns),
            )
    lower_ns = min(m.started_ns for m in memos.values()) - LOWER_BOUND_SLACK_NS
    return memos, max(lower_ns, 0)
