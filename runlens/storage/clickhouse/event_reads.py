"""The `TimelineReader`, `ActionReader` and `LiveReader` roles of `ClickHouseStore` (their SQL
is in timeline.py; followed runs' recent writes in recent.py)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from runlens.storage.clickhouse import timeline
from runlens.storage.clickhouse.connections import StoreConnections
from runlens.storage.contract import RunChanges, RunKey, RunSummary, RunTimeline


class EventReads(StoreConnections):
    # -- TimelineReader, ActionReader -------------------------------------------------------

    def run_timelines(
        self,
        project_id: str,
        run_ids: Sequence[str],
        summaries: Sequence[RunSummary] = (),
        fields: Collection[str] | None = None,
        logs: bool = True,
    ) -> dict[str, RunTimeline]:
        known = {s.run_id: s for s in summaries if s.project_id == project_id}
        with self._lock:
            unrefreshed = {
                run_id: self._unrefreshed[key]
                for run_id in run_ids
                if (key := RunKey(project_id, run_id)) in self._unrefreshed
            }
        bounds = timeline.time_bounds(run_ids, known, unrefreshed)
        return timeline.run_timelines(
            self._scoped(project_id), run_ids, fields=fields, logs=logs, bounds=bounds
        )

    def run_actions(
        self, project_id: str, run_ids: Sequence[str], payloads: bool
    ) -> dict[str, RunTimeline]:
        return timeline.run_actions(self._scoped(project_id), run_ids, payloads)

    # -- LiveReader -------------------------------------------------------------------------

    def run_changes(
        self, project_id: str, run_id: str, after_seq: int, upto_seq: int
    ) -> RunChanges:
        return timeline.run_changes(self._scoped(project_id), run_id, after_seq, upto_seq)

    def runs_changes(
        self, project_id: str, run_ids: Sequence[str], after_seq: int, upto_seq: int
    ) -> dict[str, RunChanges]:
        """From memory for followed runs (`follow_changes`) when it holds the range."""
        if self._recent is None:
            return timeline.runs_changes(self._scoped(project_id), run_ids, after_seq, upto_seq)
        found, missing = self._recent.changes(project_id, run_ids, after_seq, upto_seq)
        if missing:
            select = self._scoped(project_id)
            found.update(timeline.runs_changes(select, missing, after_seq, upto_seq))
        return found

    def follow_changes(self, project_id: str, run_id: str) -> None:
        """Keep the run's next writes in memory for `runs_changes`, until `unfollow_changes`
        (calls are counted, one `unfollow_changes` per `follow_changes`)."""
        if self._recent is not None:
            self._recent.follow(RunKey(project_id, run_id))

    def unfollow_changes(self, project_id: str, run_id: str) -> None:
        if self._recent is not None:
            self._recent.unfollow(RunKey(project_id, run_id))
