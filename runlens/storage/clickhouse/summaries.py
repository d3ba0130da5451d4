"""Run-summary refresh over ClickHouse, from the batches just written.

The writer keeps a `RunState` (`runlens.storage.summarize`) for recently written runs and folds
into it the facts of each batch it stores. A refresh asks the store, in one narrow statement
(`queries.RUN_CHECKS`), how many spans and ended spans each run has in `run_span_facts` (kept by
a materialized view from every insert into `spans`, by any writer), its applied terminate and
its first_seen_at; a run whose state holds exactly that many is complete, and its summary is
computed from the state without reading its spans. Only the runs that are not (written by
another collector too, before a restart, or evicted from memory) are read again, once, from
`run_span_facts FINAL` (`queries.RUN_FACTS`). The summaries are computed in Python and stored
in one insert.

`first_seen_at` is part of `run_summaries`' sorting key, so it must never change once a run has
a summary row: the check reads it from the run's previous summary.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyarrow as pa

from runlens.storage.contract import RunKey
from runlens.storage.summarize import Computed, Fact, RunState, Terminated

_TS_NS = pa.timestamp("ns", tz="UTC")
_TS_US = pa.timestamp("us", tz="UTC")

SUMMARY_SCHEMA = pa.schema(
    [
        ("project_id", pa.string()),
        ("run_id", pa.string()),
        ("first_seen_at", _TS_US),
        ("agent_id", pa.string()),
        ("agent_name", pa.string()),
        ("name", pa.string()),
        ("status", pa.string()),
        ("status_reason", pa.string()),
        ("started_at", _TS_NS),
        ("ended_at", _TS_NS),
        ("last_activity_at", _TS_NS),
        ("duration_ms", pa.uint64()),
        ("span_count", pa.uint32()),
        ("action_count", pa.uint32()),
        ("action_ok_count", pa.uint32()),
        ("error_count", pa.uint32()),
        ("turns", pa.uint32()),
        ("success_rate", pa.float32()),
        ("input_tokens", pa.uint64()),
        ("cached_tokens", pa.uint64()),
        ("cache_write_tokens", pa.uint64()),
        ("output_tokens", pa.uint64()),
        ("reasoning_tokens", pa.uint64()),
        ("cost_usd", pa.float64()),
        ("unpriced_count", pa.uint32()),
        ("models", pa.list_(pa.string())),
        ("error_type", pa.string()),
        ("error_message", pa.string()),
        ("version", pa.uint64()),
        ("spans_seq", pa.uint64()),
    ]
)

# `queries.RUN_FACTS` columns, in `Fact` field order.
_FACT_COLUMNS = (
    "span_id",
    "parent_span_id",
    "f_kind",
    "f_name",
    "f_status",
    "f_start",
    "f_end",
    "f_ingested",
    "f_agent_id",
    "f_agent_name",
    "f_service",
    "f_model",
    "f_cost_source",
    "cost_usd",
    "input_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "response_id",
    "f_error_type",
    "error_message",
    "version",
)


class RunStates:
    """Thread-safe, bounded map RunKey -> RunState; the least recently used runs are dropped
    past `capacity` spans in all (a dropped run is read again when next refreshed)."""

    def __init__(self, capacity: int = 50_000) -> None:
        self._capacity = capacity
        self._items: OrderedDict[RunKey, RunState] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def fold(self, facts: dict[RunKey, list[Fact]]) -> None:
        """Fold stored facts into the states of their runs (new runs start empty: the check
        of their next refresh tells whether the store holds more)."""
        with self._lock:
            for key, run in facts.items():
                state = self._items.get(key)
                if state is None:
                    state = self._items[key] = RunState()
                self._size -= len(state.facts)
                state.fold(run)
                self._size += len(state.facts)
                self._items.move_to_end(key)
            self._trim()

    def replace(self, states: dict[RunKey, RunState]) -> None:
        """States read from the store, folded with whatever was folded meanwhile."""
        with self._lock:
            for key, state in states.items():
                kept = self._items.pop(key, None)
                if kept is not None:
                    self._size -= len(kept.facts)
                    state.fold(kept.facts.values())
                self._items[key] = state
                self._size += len(state.facts)
            self._trim()

    def snapshot(self, keys: Iterable[RunKey]) -> dict[RunKey, RunState]:
        """Copies of the states of these runs that are held (a writer may fold meanwhile)."""
        with self._lock:
            return {
                key: RunState(dict(state.facts), state.ended)
                for key in keys
                if (state := self._items.get(key)) is not None
            }

    def _trim(self) -> None:
        while self._size > self._capacity and len(self._items) > 1:
            _, dropped = self._items.popitem(last=False)
            self._size -= len(dropped.facts)

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True, slots=True)
class Check:
    """What the store holds of a run (`queries.RUN_CHECKS`)."""

    seen: tuple[int, int]  # spans, ended spans
    terminated: Terminated | None
    first_seen_us: int  # 0: no summary yet


def checks(rows: Sequence[Sequence[object]]) -> dict[RunKey, Check]:
    """A read of `queries.RUN_CHECKS`, by run."""
    found: dict[RunKey, Check] = {}
    for project_id, run_id, spans, ended, terminated, reason, at_ns, first_seen in rows:
        ending = Terminated(str(reason), int(str(at_ns))) if terminated else None
        found[RunKey(str(project_id), str(run_id))] = Check(
            (int(str(spans)), int(str(ended))), ending, int(str(first_seen))
        )
    return found


def states_by_run(table: pa.Table) -> dict[RunKey, RunState]:
    """A read of `queries.RUN_FACTS`, one state per run."""
    projects = table.column("project_id").to_pylist()
    runs = table.column("run_id").to_pylist()
    columns = [table.column(name).to_pylist() for name in _FACT_COLUMNS]
    found: dict[RunKey, RunState] = {}
    for i, fact in enumerate(map(Fact._make, zip(*columns, strict=True))):
        key = RunKey(projects[i], runs[i])
        state = found.get(key)
        if state is None:
            state = found[key] = RunState()
        state.fold((fact,))
    return found


def summary_rows(
    computed: dict[RunKey, Computed], first_seen: dict[RunKey, int], spans_seq: int
) -> pa.Table:
    """The rows of `run_summaries` for these runs."""
    out: dict[str, list[object]] = {name: [] for name in SUMMARY_SCHEMA.names}
    for key, c in computed.items():
        s = c.summary
        values = (
            s.project_id,
            s.run_id,
            first_seen[key],
            s.agent_id,
            s.agent_name,
            s.name,
            s.status.value,
            s.status_reason,
            s.started_at_unix_nano,
            s.ended_at_unix_nano,
            s.last_activity_unix_nano,
            c.duration_ms,
            s.span_count,
            s.action_count,
            s.action_ok_count,
            s.error_count,
            s.turns,
            c.success_rate,
            s.input_tokens,
            s.cached_tokens,
            s.cache_write_tokens,
            s.output_tokens,
            s.reasoning_tokens,
            s.cost_usd,
            s.unpriced_count,
            list(s.models),
            s.error_type,
            s.error_message,
            c.version,
            spans_seq,
        )
        for column, value in zip(out.values(), values, strict=True):
            column.append(value)
    return pa.table(out, schema=SUMMARY_SCHEMA)
