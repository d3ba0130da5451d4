"""The budget rule: a running run whose cost passed its agent's budget is terminated once,
with reason "budget exhausted". Run by the ingest pipeline's writer right after it refreshed
run summaries (the only moment a run's cost changes)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from runlens.control.service import ControlService
from runlens.storage.contract import RegistryReader, RunKey, RunStatus, StorageError

log = logging.getLogger(__name__)


class BudgetGuard:
    def __init__(
        self, reader: RegistryReader, control: ControlService, budgets_usd: Mapping[str, float]
    ) -> None:
        self._reader = reader
        self._control = control
        self._budgets = dict(budgets_usd)

    def check(self, runs: Sequence[RunKey]) -> None:
        """Terminate the given runs that are running over budget (never twice the same run);
        a storage failure is logged and the runs are checked again at their next refresh."""
        if not self._budgets:
            return
        by_project: dict[str, list[str]] = {}
        for key in runs:
            by_project.setdefault(key.project_id, []).append(key.run_id)
        try:
            for project_id, run_ids in by_project.items():
                for s in self._reader.run_summaries(project_id, run_ids):
                    budget = self._budgets.get(s.agent_id)
                    if s.status is RunStatus.RUNNING and budget is not None and s.cost_usd > budget:
                        self._control.terminate_over_budget(project_id, s.run_id)
        except StorageError:
            log.warning("budget check of %d run(s) failed", len(runs), exc_info=True)
