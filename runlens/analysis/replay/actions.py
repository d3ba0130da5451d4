"""The actions of a run and the key that aligns them across runs.

An action is an LLM call or a tool execution. Its key is `(name, parent path, occurrence)`:
the parent path is the names of its ancestors from the root down, the occurrence counts the
earlier actions of the run with the same name and parent path (from 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from runlens.semconv.records import SpanKind, SpanRecord

ACTION_KINDS = frozenset({SpanKind.LLM_CALL, SpanKind.TOOL_EXECUTION})


@dataclass(frozen=True, slots=True)
class ActionKey:
    name: str
    parent_path: tuple[str, ...]
    occurrence: int

    def label(self) -> str:
        path = " > ".join((*self.parent_path, self.name))
        return f"{path} #{self.occurrence + 1}"


@dataclass(frozen=True, slots=True)
class Action:
    key: ActionKey
    span: SpanRecord
    index: int  # position among the run's actions, from 0


def _parent_path(span: SpanRecord, by_id: dict[str, SpanRecord]) -> tuple[str, ...]:
    names: list[str] = []
    seen: set[str] = set()
    parent = by_id.get(span.parent_span_id)
    while parent is not None and parent.span_id not in seen:
        seen.add(parent.span_id)
        names.append(parent.name)
        parent = by_id.get(parent.parent_span_id)
    return tuple(reversed(names))


def actions_of(spans: Sequence[SpanRecord]) -> list[Action]:
    """The run's actions in start order, each with its alignment key."""
    by_id = {s.span_id: s for s in spans}
    ordered = sorted(
        (s for s in spans if s.kind in ACTION_KINDS),
        key=lambda s: (s.start_time_unix_nano, s.span_id),
    )
    counts: dict[tuple[str, tuple[str, ...]], int] = {}
    found: list[Action] = []
    for index, span in enumerate(ordered):
        path = _parent_path(span, by_id)
        occurrence = counts.get((span.name, path), 0)
        counts[(span.name, path)] = occurrence + 1
        found.append(Action(ActionKey(span.name, path, occurrence), span, index))
    return found
