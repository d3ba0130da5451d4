"""What a replay of a recorded run would do, without running anything.

Each action (LLM call or tool execution) is either served from the recording (it costs
nothing in the replay) or re-executed (it keeps its recorded cost), for one reason (costs are
those of the run's counted calls, `semconv.counting`: a wrapper of another LLM call costs
nothing more, a summarization LLM call is re-executed):

- `SERVED`: input and output are recorded in full;
- `POLICY_ALWAYS`: marked `runlens.replay.policy = always`: served even from a truncated
  recording (the replay gets the truncated value);
- `POLICY_NEVER`: marked `runlens.replay.policy = never` (side effects such as payments,
  e-mails, writes): always re-executed;
- `MISSING_INPUT` / `MISSING_OUTPUT`: nothing recorded to match on or to serve;
- `TRUNCATED`: the recorded payload was cut at ingest, serving it would change the run.

A run cannot be replayed at all when it is not found, still running, or stored no output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from runlens.analysis.replay.actions import Action, actions_of
from runlens.analysis.replay.canonical import canonical_text
from runlens.semconv.counting import counted_calls, is_llm_call
from runlens.semconv.records import SpanRecord, SpanStatus

REPLAY_POLICY = "runlens.replay.policy"
"""Span attribute: `always` or `never` (docs/determinism.md, "Replay policy")."""


class Unavailable(StrEnum):
    RUN_NOT_FOUND = "RUN_NOT_FOUND"
    RUN_RUNNING = "RUN_RUNNING"
    OUTPUTS_NOT_STORED = "OUTPUTS_NOT_STORED"


UNAVAILABLE_MESSAGES = {
    Unavailable.RUN_NOT_FOUND: "no run with this id is stored",
    Unavailable.RUN_RUNNING: "the run is still running: replay it once it has ended",
    Unavailable.OUTPUTS_NOT_STORED: "no action of the run has a recorded output: enable content "
    "capture in the instrumentation (e.g. OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT)",
}


class ServeReason(StrEnum):
    SERVED = "SERVED"
    POLICY_ALWAYS = "POLICY_ALWAYS"
    POLICY_NEVER = "POLICY_NEVER"
    MISSING_INPUT = "MISSING_INPUT"
    MISSING_OUTPUT = "MISSING_OUTPUT"
    TRUNCATED = "TRUNCATED"


SERVED_REASONS = frozenset({ServeReason.SERVED, ServeReason.POLICY_ALWAYS})


@dataclass(frozen=True, slots=True)
class SimulatedAction:
    action: Action
    reason: ServeReason
    counted: bool = True  # False for an LLM call the run does not count (a wrapper)

    @property
    def served(self) -> bool:
        return self.reason in SERVED_REASONS

    @property
    def original_cost_usd(self) -> float:
        return (self.action.span.cost_usd or 0.0) if self.counted else 0.0

    @property
    def replay_cost_usd(self) -> float:
        return 0.0 if self.served else self.original_cost_usd


@dataclass(frozen=True, slots=True)
class Simulation:
    unavailable: Unavailable | None
    actions: tuple[SimulatedAction, ...]
    other_cost_usd: float = 0.0  # counted calls that are not actions: always re-executed

    @property
    def available(self) -> bool:
        return self.unavailable is None

    @property
    def served_count(self) -> int:
        return sum(1 for a in self.actions if a.served)

    @property
    def original_cost_usd(self) -> float:
        return sum(a.original_cost_usd for a in self.actions) + self.other_cost_usd

    @property
    def replay_cost_usd(self) -> float:
        """What a replay would cost: the recorded cost when no replay is possible."""
        if not self.available:
            return self.original_cost_usd
        return sum(a.replay_cost_usd for a in self.actions) + self.other_cost_usd

    @property
    def savings_usd(self) -> float:
        return self.original_cost_usd - self.replay_cost_usd


def recorded(text: str) -> bool:
    """Whether a payload holds something: empty text, `null` and `""` do not."""
    return bool(text.strip()) and canonical_text(text) not in ("null", '""')


def serve_reason(span: SpanRecord) -> ServeReason:
    policy = span.attributes.get(REPLAY_POLICY, "").strip().lower()
    if policy == "never":
        return ServeReason.POLICY_NEVER
    if not recorded(span.input):
        return ServeReason.MISSING_INPUT
    if not recorded(span.output):
        return ServeReason.MISSING_OUTPUT
    if policy == "always":
        return ServeReason.POLICY_ALWAYS
    if span.truncated:
        return ServeReason.TRUNCATED
    return ServeReason.SERVED


def simulate(spans: Sequence[SpanRecord], running: bool | None = None) -> Simulation:
    """Which actions of a recorded run a replay can serve and what it would cost.

    `running` is the run's status when known (from its summary); otherwise a run whose root
    span has not ended counts as running.
    """
    if not spans:
        return Simulation(Unavailable.RUN_NOT_FOUND, ())
    if running is None:
        running = any(s.status is SpanStatus.RUNNING and not s.parent_span_id for s in spans)
    counted = counted_calls(spans)
    actions = tuple(
        SimulatedAction(
            a,
            serve_reason(a.span),
            a.span.span_id in counted or not is_llm_call(a.span.kind, a.span.cost_source),
        )
        for a in actions_of(spans)
    )
    acted = {a.action.span.span_id for a in actions}
    other = sum(s.cost_usd or 0.0 for s in spans if s.span_id in counted and s.span_id not in acted)
    if running:
        return Simulation(Unavailable.RUN_RUNNING, actions, other)
    if actions and not any(recorded(a.action.span.output) for a in actions):
        return Simulation(Unavailable.OUTPUTS_NOT_STORED, actions, other)
    return Simulation(None, actions, other)
