"""Per-request DataLoaders: whatever a query asks about many runs is read in one batch.

A page of runs costs one query (plus one for `totalCount`); the runs' timelines two more
(spans, logs, at once; only the span columns the selection shows, and no logs unless it shows
an event's content), their agents' run counts one more, whatever the page size.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from runlens.api.graphql.errors import ApiError, ErrorCode
from runlens.api.graphql.selection import EventRead
from runlens.runs.view import RunView, view_of
from runlens.storage.contract import AgentStats, ApiReader, RunSummary, StorageError

T = TypeVar("T")


async def off_loop(fn: Callable[..., T], *args: Any) -> T:
    """Run a blocking reader call in a worker thread; storage failures become UNAVAILABLE."""
    try:
        return await asyncio.to_thread(fn, *args)
    except StorageError as exc:
        raise ApiError(ErrorCode.UNAVAILABLE, str(exc)) from exc


class Loaders:
    def __init__(
        self, reader: ApiReader, project_id: str, last_seq: Callable[[], int] | None = None
    ) -> None:
        """`last_seq`: the newest commit sequence known stored (the live bus's), noted before
        each timeline read (`read_at`)."""
        self._reader = reader
        self._project_id = project_id
        self._last_seq = last_seq
        self._read_at: dict[tuple[EventRead, str], int] = {}
        self.summaries = DataLoader[str, RunSummary | None](load_fn=self._load_summaries)
        self._timelines: dict[EventRead, DataLoader[str, RunView]] = {}
        self.agents = DataLoader[str, AgentStats | None](load_fn=self._load_agents)

    def prime_summaries(self, summaries: Sequence[RunSummary]) -> None:
        self.summaries.prime_many({s.run_id: s for s in summaries})

    async def _load_summaries(self, run_ids: list[str]) -> list[RunSummary | None]:
        found = await off_loop(self._reader.run_summaries, self._project_id, run_ids)
        by_id = {s.run_id: s for s in found}
        return [by_id.get(run_id) for run_id in run_ids]

    def timelines_for(self, read: EventRead) -> DataLoader[str, RunView]:
        """Timelines read as `read` says (one loader, so one batch, per kind of read)."""
        loader = self._timelines.get(read)
        if loader is None:

            async def load(run_ids: list[str]) -> list[RunView]:
                return await self._load_timelines(run_ids, read)

            loader = self._timelines[read] = DataLoader[str, RunView](load_fn=load)
        return loader

    def read_at(self, read: EventRead, run_id: str) -> int | None:
        """A commit sequence up to which every change of the run is in its timeline as loaded
        with `read` (None without `last_seq`, or before the load)."""
        return self._read_at.get((read, run_id))

    async def _load_timelines(self, run_ids: list[str], read: EventRead) -> list[RunView]:
        if self._last_seq is not None:
            seq = self._last_seq()
            self._read_at.update({(read, run_id): seq for run_id in run_ids})
        # The summaries (usually loaded already by the run itself) bound the reads in time.
        summaries = await self.summaries.load_many(run_ids)
        known = [s for s in summaries if s is not None]
        timelines = await off_loop(
            self._reader.run_timelines, self._project_id, run_ids, known, read.fields, read.logs
        )
        return [
            view_of(timelines.get(run_id), summary)
            for run_id, summary in zip(run_ids, summaries, strict=True)
        ]

    async def _load_agents(self, agent_ids: list[str]) -> list[AgentStats | None]:
        found = await off_loop(
            self._reader.agent_stats, self._project_id, None, len(agent_ids), agent_ids
        )
        by_id = {a.agent_id: a for a in found}
        return [by_id.get(agent_id) for agent_id in agent_ids]
