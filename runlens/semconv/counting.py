"""What a run counts, decided in one place (docs/semconv.md, "What a run counts").

- An **LLM call** is an `llm_call` span, or a `summarization` span that is itself an LLM call
  (it was priced, or left unpriced, as one: its cost source is not `none`).
- A **counted call** is an LLM call that is a leaf and the first of its response: an LLM call
  with another LLM call below it, reached through `other` spans only (chains, workflows, HTTP
  spans), wraps that call (stacked instrumentation: the OpenAI Agents SDK's `response` /
  `generation` over the OpenAI client's `ChatCompletion`) and is shown but not counted; among
  the leaves, the spans that share a non-empty response id count once (the first to start).
  Tokens, cost, unpriced calls and turns of a run are summed over its counted calls.
- A run's **failing agent**: a failed agent span reached from the run's root through `other`
  spans only (the agent a workflow root runs: the OpenAI Agents SDK's root span ends OK even
  when its agent failed). A run whose root ended is failed when the root failed or such an
  agent did; an agent below a tool or an LLM call (a sub-agent) fails only its caller.

Every reader applies these functions: the run summaries (through the spans' shapes), replay
cost comparison, the export.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from runlens.semconv.records import CostSource, SpanKind, SpanRecord, SpanStatus


@dataclass(frozen=True, slots=True)
class SpanShape:
    """The fields of a span the counting rules read."""

    span_id: str
    parent_span_id: str
    kind: SpanKind
    status: SpanStatus
    cost_source: CostSource
    response_id: str
    start_time_unix_nano: int


def shape_of(span: SpanRecord) -> SpanShape:
    return SpanShape(
        span.span_id,
        span.parent_span_id,
        span.kind,
        span.status,
        span.cost_source,
        span.response_id,
        span.start_time_unix_nano,
    )


def is_llm_call(kind: SpanKind, cost_source: CostSource) -> bool:
    return kind is SpanKind.LLM_CALL or (
        kind is SpanKind.SUMMARIZATION and cost_source is not CostSource.NONE
    )


def is_agent(kind: SpanKind, cost_source: CostSource) -> bool:
    """An agent span, or a summarization that is not an LLM call (a summarizing agent)."""
    return kind is SpanKind.AGENT or (
        kind is SpanKind.SUMMARIZATION and cost_source is CostSource.NONE
    )


def _by_id(shapes: Iterable[SpanShape]) -> dict[str, SpanShape]:
    return {s.span_id: s for s in shapes}


def wrapper_calls(shapes: Sequence[SpanShape]) -> set[str]:
    """LLM calls with another LLM call below them, reached through `other` spans only."""
    by_id = _by_id(shapes)
    wrappers: set[str] = set()
    for shape in shapes:
        if not is_llm_call(shape.kind, shape.cost_source):
            continue
        seen = {shape.span_id}
        parent = by_id.get(shape.parent_span_id)
        while parent is not None and parent.span_id not in seen:
            if is_llm_call(parent.kind, parent.cost_source):
                wrappers.add(parent.span_id)
                break
            if parent.kind is not SpanKind.OTHER:
                break
            seen.add(parent.span_id)
            parent = by_id.get(parent.parent_span_id)
    return wrappers


def uncounted_calls(shapes: Sequence[SpanShape]) -> set[str]:
    """The run's LLM calls that are not counted: wrappers and repeats of a response."""
    uncounted = wrapper_calls(shapes)
    leaves = sorted(
        (
            s
            for s in shapes
            if s.response_id and s.span_id not in uncounted and is_llm_call(s.kind, s.cost_source)
        ),
        key=lambda s: (s.start_time_unix_nano, s.span_id),
    )
    seen: set[str] = set()
    for shape in leaves:
        if shape.response_id in seen:
            uncounted.add(shape.span_id)
        seen.add(shape.response_id)
    return uncounted


def counted_calls(spans: Sequence[SpanRecord]) -> frozenset[str]:
    """The span ids of the run's counted calls."""
    shapes = [shape_of(s) for s in spans]
    uncounted = uncounted_calls(shapes)
    return frozenset(
        s.span_id
        for s in shapes
        if is_llm_call(s.kind, s.cost_source) and s.span_id not in uncounted
    )


def has_failing_agent(shapes: Sequence[SpanShape]) -> bool:
    """A failed agent span reached from the run's root through `other` spans only."""
    by_id = _by_id(shapes)
    return any(
        shape.status is SpanStatus.ERROR
        and is_agent(shape.kind, shape.cost_source)
        and shape.parent_span_id
        and _below_root(shape, by_id)
        for shape in shapes
    )


def _below_root(shape: SpanShape, by_id: Mapping[str, SpanShape]) -> bool:
    """The span's ancestors up to the root (excluded) are all `other` spans."""
    seen = {shape.span_id}
    parent = by_id.get(shape.parent_span_id)
    while parent is not None and parent.span_id not in seen:
        if not parent.parent_span_id:
            return True
        if parent.kind is not SpanKind.OTHER:
            return False
        seen.add(parent.span_id)
        parent = by_id.get(parent.parent_span_id)
    return False
