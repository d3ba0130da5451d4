"""Timelines and actions (`RunReader`) and changes by commit sequence (`EventReader`) of
`ClickHouseStore` (their SQL is in timeline.py)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from runlens.storage.clickhouse import timeline
from runlens.storage.clickhouse.connections import StoreConnections
from runlens.storage.contract import RunChanges, RunKey, RunSummary, RunTimeline


class EventReads(StoreConnections):
    # -- RunReader: timelines, actions -------------------------------------------------------

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

    # -- EventReader --------------------------------------------------------------------------

    def run_changes(
        self, project_id: str, run_id: str, after_seq: int, upto_seq: int
    ) -> RunChanges:
        return timeline.run_changes(self._scoped(project_id), run_id, after_seq, upto_seq)

    def runs_changes(
        self, project_id: str, run_ids: Sequence[str], after_seq: int, upto_seq: int
    ) -> dict[str, RunChanges]:
        return timeline.runs_changes(self._scoped(project_id), run_ids, after_seq, upto_seq)
