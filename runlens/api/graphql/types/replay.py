"""GraphQL types of `compareRuns` and `simulateReplay`."""

from __future__ import annotations

from enum import Enum

import strawberry

from runlens.analysis.replay import compare as c
from runlens.analysis.replay import simulate as s
from runlens.analysis.replay.actions import Action


@strawberry.enum(description="How an action of a replay compares.")
class ActionVerdict(Enum):
    MATCH = "MATCH"
    ACTION_NAME_MISMATCH = "ACTION_NAME_MISMATCH"
    INPUT_MISMATCH = "INPUT_MISMATCH"
    OUTPUT_MISMATCH = "OUTPUT_MISMATCH"
    MISSING_IN_REPLAY = "MISSING_IN_REPLAY"
    EXTRA_IN_REPLAY = "EXTRA_IN_REPLAY"


@strawberry.enum(description="Why a run cannot be replayed.")
class ReplayUnavailableReason(Enum):
    RUN_NOT_FOUND = "RUN_NOT_FOUND"
    RUN_RUNNING = "RUN_RUNNING"
    OUTPUTS_NOT_STORED = "OUTPUTS_NOT_STORED"


@strawberry.enum(
    description="Why a replay would serve an action from the recording or re-execute it "
    '(docs/determinism.md, "Replay policy").'
)
class ServeReason(Enum):
    SERVED = "SERVED"
    POLICY_ALWAYS = "POLICY_ALWAYS"
    POLICY_NEVER = "POLICY_NEVER"
    MISSING_INPUT = "MISSING_INPUT"
    MISSING_OUTPUT = "MISSING_OUTPUT"
    TRUNCATED = "TRUNCATED"


@strawberry.type(description="The alignment key of an action: (name, parent path, occurrence).")
class ActionKey:
    name: str
    parent_path: list[str] = strawberry.field(description="Names of its ancestors, root first.")
    occurrence: int = strawberry.field(description="Earlier actions with this name and path.")


@strawberry.type(description="An action (LLM call or tool execution) of a run.")
class ActionRef:
    span_id: strawberry.ID
    name: str
    kind: str
    sequence: int = strawberry.field(description="Position among the run's actions, from 0.")
    cost_usd: float | None

    @classmethod
    def of(cls, action: Action) -> ActionRef:
        span = action.span
        return cls(
            span_id=strawberry.ID(span.span_id),
            name=span.name,
            kind=span.kind.value,
            sequence=action.index,
            cost_usd=span.cost_usd,
        )


@strawberry.type(description="A field that differs: JSON path, canonical values (bounded).")
class FieldDiff:
    path: str
    original: str | None
    replay: str | None


@strawberry.type(description="One step of the comparison of a replay with its original.")
class ActionComparison:
    step: int
    verdict: ActionVerdict
    key: ActionKey
    original: ActionRef | None
    replay: ActionRef | None
    diff: list[FieldDiff] = strawberry.field(
        description="Differences of the inputs (INPUT_MISMATCH) or outputs (OUTPUT_MISMATCH)."
    )

    @classmethod
    def of(cls, a: c.ActionComparison) -> ActionComparison:
        k = a.key
        return cls(
            step=a.step,
            verdict=ActionVerdict(a.verdict.value),
            key=ActionKey(name=k.name, parent_path=list(k.parent_path), occurrence=k.occurrence),
            original=ActionRef.of(a.original) if a.original else None,
            replay=ActionRef.of(a.replay) if a.replay else None,
            diff=[FieldDiff(path=d.path, original=d.original, replay=d.replay) for d in a.diff],
        )


@strawberry.type(description="A replay compared with its original run, action by action.")
class RunComparison:
    original_id: strawberry.ID
    replay_id: strawberry.ID
    actions: list[ActionComparison]
    first_divergence: ActionComparison | None
    divergence_count: int
    match_rate: float = strawberry.field(description="Matched steps / compared steps, 0 to 1.")
    original_cost_usd: float
    replay_cost_usd: float
    savings_usd: float
    price_version: str = strawberry.field(description="The price version of both costs.")
    repriced: bool = strawberry.field(
        description="The runs had different price versions and were repriced from tokens."
    )
    cost_note: str | None

    @classmethod
    def of(cls, original_id: str, replay_id: str, comparison: c.Comparison) -> RunComparison:
        costs = comparison.costs
        first = comparison.first_divergence
        return cls(
            original_id=strawberry.ID(original_id),
            replay_id=strawberry.ID(replay_id),
            actions=[ActionComparison.of(a) for a in comparison.actions],
            first_divergence=ActionComparison.of(first) if first else None,
            divergence_count=len(comparison.divergences),
            match_rate=comparison.match_rate,
            original_cost_usd=costs.original_usd,
            replay_cost_usd=costs.replay_usd,
            savings_usd=costs.savings_usd,
            price_version=costs.price_version,
            repriced=costs.repriced,
            cost_note=costs.note or None,
        )


@strawberry.type(description="What a replay would do with one action.")
class SimulatedAction:
    action: ActionRef
    served: bool = strawberry.field(description="Served from the recording (costs nothing).")
    reason: ServeReason
    replay_cost_usd: float


@strawberry.type(description="What a replay of the run would serve, re-execute and cost.")
class ReplaySimulation:
    run_id: strawberry.ID
    available: bool
    unavailable_reason: ReplayUnavailableReason | None
    message: str | None
    actions: list[SimulatedAction]
    served_count: int
    reexecuted_count: int
    original_cost_usd: float
    replay_cost_usd: float
    savings_usd: float

    @classmethod
    def of(cls, run_id: str, sim: s.Simulation) -> ReplaySimulation:
        reason = sim.unavailable
        return cls(
            run_id=strawberry.ID(run_id),
            available=sim.available,
            unavailable_reason=ReplayUnavailableReason(reason.value) if reason else None,
            message=s.UNAVAILABLE_MESSAGES[reason] if reason else None,
            actions=[
                SimulatedAction(
                    action=ActionRef.of(a.action),
                    served=a.served,
                    reason=ServeReason(a.reason.value),
                    replay_cost_usd=a.replay_cost_usd,
                )
                for a in sim.actions
            ],
            served_count=sim.served_count,
            reexecuted_count=len(sim.actions) - sim.served_count,
            original_cost_usd=sim.original_cost_usd,
            replay_cost_usd=sim.replay_cost_usd,
            savings_usd=sim.savings_usd,
        )
