"""Compare a replay with its original run, action by action.

Actions are aligned by key (`actions.ActionKey`) walking both runs in start order:

- same key: MATCH, or INPUT_MISMATCH when the canonical inputs differ, or OUTPUT_MISMATCH when
  the inputs are equal and the outputs differ (the action is not deterministic);
- different keys: the replay action is EXTRA_IN_REPLAY when its key never appears later in the
  original while the original's does in the replay; the original action is MISSING_IN_REPLAY in
  the mirror case; otherwise the two are paired as ACTION_NAME_MISMATCH (a reordering or a
  different action at this step);
- what is left of either run at the end is MISSING_IN_REPLAY / EXTRA_IN_REPLAY.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from runlens.analysis.replay.actions import Action, ActionKey, actions_of
from runlens.analysis.replay.canonical import canonical_text, parse
from runlens.analysis.replay.cost import RunCosts, run_costs
from runlens.analysis.replay.diff import FieldDiff, field_diff
from runlens.semconv.pricing import PriceTable
from runlens.semconv.records import SpanRecord


class Verdict(StrEnum):
    MATCH = "MATCH"
    ACTION_NAME_MISMATCH = "ACTION_NAME_MISMATCH"
    INPUT_MISMATCH = "INPUT_MISMATCH"
    OUTPUT_MISMATCH = "OUTPUT_MISMATCH"
    MISSING_IN_REPLAY = "MISSING_IN_REPLAY"
    EXTRA_IN_REPLAY = "EXTRA_IN_REPLAY"


@dataclass(frozen=True, slots=True)
class ActionComparison:
    step: int  # position in the comparison, from 0
    verdict: Verdict
    original: Action | None
    replay: Action | None
    diff: tuple[FieldDiff, ...] = ()  # of the inputs (INPUT_MISMATCH) or outputs (OUTPUT_…)

    @property
    def diverged(self) -> bool:
        return self.verdict is not Verdict.MATCH

    @property
    def key(self) -> ActionKey:
        action = self.original or self.replay
        assert action is not None
        return action.key


@dataclass(frozen=True, slots=True)
class Comparison:
    actions: tuple[ActionComparison, ...]
    costs: RunCosts

    @property
    def divergences(self) -> tuple[ActionComparison, ...]:
        return tuple(a for a in self.actions if a.diverged)

    @property
    def first_divergence(self) -> ActionComparison | None:
        return next((a for a in self.actions if a.diverged), None)

    @property
    def match_rate(self) -> float:
        """Matched actions over compared steps; 1.0 for two runs without actions."""
        if not self.actions:
            return 1.0
        return (len(self.actions) - len(self.divergences)) / len(self.actions)


def same_payload(a: str, b: str) -> bool:
    """Equal once canonical; equal texts are (the common case, decided without parsing)."""
    return a == b or canonical_text(a) == canonical_text(b)


def compare_actions(original: Action, replay: Action, step: int) -> ActionComparison:
    a, b = original.span, replay.span
    if not same_payload(a.input, b.input):
        diff = field_diff(parse(a.input), parse(b.input))
        return ActionComparison(step, Verdict.INPUT_MISMATCH, original, replay, tuple(diff))
    if not same_payload(a.output, b.output):
        diff = field_diff(parse(a.output), parse(b.output))
        return ActionComparison(step, Verdict.OUTPUT_MISMATCH, original, replay, tuple(diff))
    return ActionComparison(step, Verdict.MATCH, original, replay)


def align(original: Sequence[Action], replay: Sequence[Action]) -> list[ActionComparison]:
    left = {a.key for a in original}
    right = {a.key for a in replay}
    found: list[ActionComparison] = []
    i = j = 0
    while i < len(original) and j < len(replay):
        o, r = original[i], replay[j]
        if o.key == r.key:
            found.append(compare_actions(o, r, len(found)))
        elif r.key not in left and o.key in right:
            found.append(ActionComparison(len(found), Verdict.EXTRA_IN_REPLAY, None, r))
            right.discard(r.key)
            j += 1
            continue
        elif o.key not in right and r.key in left:
            found.append(ActionComparison(len(found), Verdict.MISSING_IN_REPLAY, o, None))
            left.discard(o.key)
            i += 1
            continue
        else:
            found.append(ActionComparison(len(found), Verdict.ACTION_NAME_MISMATCH, o, r))
        left.discard(o.key)
        right.discard(r.key)
        i += 1
        j += 1
    for o in original[i:]:
        found.append(ActionComparison(len(found), Verdict.MISSING_IN_REPLAY, o, None))
    for r in replay[j:]:
        found.append(ActionComparison(len(found), Verdict.EXTRA_IN_REPLAY, None, r))
    return found


def compare(
    original: Sequence[SpanRecord], replay: Sequence[SpanRecord], prices: PriceTable
) -> Comparison:
    """Align the two runs' actions and price both with one price version."""
    aligned = align(actions_of(original), actions_of(replay))
    return Comparison(tuple(aligned), run_costs(original, replay, prices))
