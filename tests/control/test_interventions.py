"""Interventions count toward the high-intervention-rate intercept (pure rule)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from runlens.api.graphql.intercepts import HIGH_INTERVENTION_RATE, reasons_of
from runlens.storage.contract import InterceptCandidate, RunStatus, RunSummary


def summary(action_count: int) -> RunSummary:
    values: dict[str, Any] = {f.name: 0 for f in fields(RunSummary)}
    values.update(
        project_id="p",
        run_id="r",
        agent_id="a",
        agent_name="a",
        name="run",
        status=RunStatus.TERMINATED,
        status_reason="enough",
        cost_usd=0.0,
        error_type="",
        error_message="",
        models=(),
        action_count=action_count,
    )
    return RunSummary(**values)


def test_steer_and_terminate_commands_count_with_blocked_actions() -> None:
    candidate = InterceptCandidate(summary(10), blocked_actions=1, budget_usd=None, interventions=2)
    [reason] = reasons_of(candidate, threshold=0.3)
    assert reason.type == HIGH_INTERVENTION_RATE
    assert reason.message == (
        "1 of 10 actions were blocked and 2 intervention(s) were sent (30%, threshold 30%)."
    )
    below = InterceptCandidate(summary(10), blocked_actions=0, budget_usd=None, interventions=2)
    assert reasons_of(below, threshold=0.3) == []
