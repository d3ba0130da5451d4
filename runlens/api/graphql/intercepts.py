"""Why a run needs attention: pure rules over an intercept candidate (docs/api.md)."""

from __future__ import annotations

from dataclasses import dataclass

from runlens.analysis.error_taxonomy import explain_error
from runlens.storage.contract import InterceptCandidate, RunStatus

FAILED = "failed"
OVER_BUDGET = "over_budget"
HIGH_INTERVENTION_RATE = "high_intervention_rate"


@dataclass(frozen=True, slots=True)
class Reason:
    type: str
    message: str


def usd(amount: float) -> str:
    return f"${amount:.2f}" if amount >= 1 else f"${amount:.6f}"


def reasons_of(candidate: InterceptCandidate, threshold: float) -> list[Reason]:
    """Every reason that applies, most severe first: failed, over budget, interventions."""
    s = candidate.summary
    reasons: list[Reason] = []
    if s.status is RunStatus.FAILED:
        explained = explain_error(s.error_type, s.error_message, status_reason=s.status_reason)
        reasons.append(Reason(FAILED, f"Run failed: {explained.message}"))
    budget = candidate.budget_usd
    if budget is not None and s.cost_usd > budget:
        reasons.append(
            Reason(
                OVER_BUDGET,
                f"Run cost {usd(s.cost_usd)}, over its budget of {usd(budget)}"
                + (f" ({s.cost_usd / budget:.0%} of budget)." if budget > 0 else "."),
            )
        )
    blocked, steered = candidate.blocked_actions, candidate.interventions
    rate = (blocked + steered) / s.action_count if s.action_count else 0.0
    if (blocked or steered) and s.action_count and rate >= threshold:
        what = f"{blocked} of {s.action_count} actions were blocked"
        if steered:
            what += f" and {steered} intervention(s) were sent"
        reasons.append(
            Reason(HIGH_INTERVENTION_RATE, f"{what} ({rate:.0%}, threshold {threshold:.0%}).")
        )
    return reasons
