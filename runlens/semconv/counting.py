"""What a run counts, decided in one place (docs/semconv.md, "What a run counts").

- An **LLM call** is an `llm_call` span, or a `summarization` span that is itself an LLM call
  (it was priced, or left unpriced, as one: its cost source is not `none`).
- A **counted call** is an LLM call that is a leaf and the first of its response: an LLM call
  with another LLM call below it, reached through `other` spans only (chains, workflows, HTTP
  spans), wraps that call (stacked instrumentation: the OpenAI Agents SDK's `response` /
  `generation` over the OpenAI client's `ChatCompletion`) and is shown but not counted, unless
  no call below it reported token usage while it did (a streamed call whose inner span carries
  no usage): then the wrapper counts in their place. Among the counted calls, the spans that
  share a non-empty response id count once (the first to start).
  Tokens, cost, unpriced calls and turns of a run are summed over its counted calls.
- A run's **failing agent**: a failed agent span reached from the run's root through `other`
  spans only (the agent a workflow root runs: the OpenAI Agents SDK's root span ends OK even
  when its agent failed). A run whose root ended is failed when the root failed or such an
  agent did; an agent below a tool or an LLM call (a sub-agent) fails only its caller.

Every reader applies these functions: the run summaries (through the spans' shapes, read as
columns), replay cost comparison, the export. A run's shape may leave out spans other than
LLM calls, agents, `other` spans and roots: the rules stop at such a span as at a missing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress

from runlens.semconv.records import CostSource, SpanKind, SpanRecord, SpanStatus

_MAX_DEPTH = 256  # ancestors walked from a span (a cycle of broken parent ids ends there)
_LLM, _SUMMARIZATION = SpanKind.LLM_CALL.value, SpanKind.SUMMARIZATION.value
_AGENT, _OTHER = SpanKind.AGENT.value, SpanKind.OTHER.value
_NONE, _ERROR = CostSource.NONE.value, SpanStatus.ERROR.value


@dataclass(frozen=True, slots=True)
class RunShape:
    """The fields of a run's spans that the rules read, as parallel columns (kinds, statuses
    and cost sources as their text values)."""

    span_ids: Sequence[str]
    parent_ids: Sequence[str]
    kinds: Sequence[str]
    statuses: Sequence[str]
    cost_sources: Sequence[str]
    response_ids: Sequence[str]
    starts: Sequence[int]
    used: Sequence[bool]  # reported token usage (input or output tokens)

    @classmethod
    def of(cls, spans: Sequence[SpanRecord]) -> RunShape:
        return cls(
            [s.span_id for s in spans],
            [s.parent_span_id for s in spans],
            [s.kind.value for s in spans],
            [s.status.value for s in spans],
            [s.cost_source.value for s in spans],
            [s.response_id for s in spans],
            [s.start_time_unix_nano for s in spans],
            [s.usage.input + s.usage.output > 0 for s in spans],
        )


def is_llm_call(kind: str, cost_source: str) -> bool:
    return kind == _LLM or (kind == _SUMMARIZATION and cost_source != _NONE)


def is_agent(kind: str, cost_source: str) -> bool:
    """An agent span, or a summarization that is not an LLM call (a summarizing agent)."""
    return kind == _AGENT or (kind == _SUMMARIZATION and cost_source == _NONE)


def _llm_flags(shape: RunShape) -> list[bool]:
    """`is_llm_call` of every row (inlined: it runs over every span of every refreshed run)."""
    return [
        k == _LLM or (k == _SUMMARIZATION and c != _NONE)
        for k, c in zip(shape.kinds, shape.cost_sources, strict=True)
    ]


def _wrapped(shape: RunShape, llm: list[bool]) -> dict[int, list[int]]:
    """Rows of LLM calls with another LLM call below them, reached through `other` spans, and
    the rows of those calls."""
    index = dict(zip(shape.span_ids, range(len(shape.span_ids)), strict=True))
    parents, kinds = shape.parent_ids, shape.kinds
    wrapped: dict[int, list[int]] = {}
    for row in compress(range(len(llm)), llm):
        up = index.get(parents[row])
        for _ in range(_MAX_DEPTH):
            if up is None or llm[up]:
                break
            up = index.get(parents[up]) if kinds[up] == _OTHER else None
        if up is not None and up != row and llm[up]:
            wrapped.setdefault(up, []).append(row)
    return wrapped


def _not_counted(shape: RunShape, llm: list[bool]) -> set[int]:
    """Wrappers, or the calls below a wrapper when only the wrapper reported usage."""
    rows: set[int] = set()
    for wrapper, inner in _wrapped(shape, llm).items():
        if shape.used[wrapper] and not any(shape.used[row] for row in inner):
            rows.update(inner)
        else:
            rows.add(wrapper)
    return rows


def uncounted_calls(shape: RunShape) -> set[str]:
    """The run's LLM calls that are not counted: wrappers and repeats of a response."""
    llm = _llm_flags(shape)
    uncounted = _not_counted(shape, llm)
    ids, starts = shape.response_ids, shape.starts
    leaves = sorted(
        (row for row in compress(range(len(llm)), llm) if ids[row] and row not in uncounted),
        key=lambda row: (starts[row], shape.span_ids[row]),
    )
    seen: set[str] = set()
    for row in leaves:
        if ids[row] in seen:
            uncounted.add(row)
        seen.add(ids[row])
    return {shape.span_ids[row] for row in uncounted}


def counted_calls(spans: Sequence[SpanRecord]) -> frozenset[str]:
    """The span ids of the run's counted calls."""
    shape = RunShape.of(spans)
    uncounted = uncounted_calls(shape)
    return frozenset(
        span_id
        for span_id, is_llm in zip(shape.span_ids, _llm_flags(shape), strict=True)
        if is_llm and span_id not in uncounted
    )


def has_failing_agent(shape: RunShape) -> bool:
    """A failed agent span reached from the run's root through `other` spans only."""
    if _ERROR not in shape.statuses:
        return False
    failed = [
        row
        for row, (kind, status, cost) in enumerate(
            zip(shape.kinds, shape.statuses, shape.cost_sources, strict=True)
        )
        if status == _ERROR and is_agent(kind, cost) and shape.parent_ids[row]
    ]
    if not failed:
        return False
    index = dict(zip(shape.span_ids, range(len(shape.span_ids)), strict=True))
    return any(_below_root(shape, index, row) for row in failed)


def _below_root(shape: RunShape, index: dict[str, int], row: int) -> bool:
    """The span's ancestors up to the root (excluded) are all `other` spans."""
    up = index.get(shape.parent_ids[row])
    for _ in range(_MAX_DEPTH):
        if up is None:
            return False
        if not shape.parent_ids[up]:
            return True
        if shape.kinds[up] != _OTHER:
            return False
        up = index.get(shape.parent_ids[up])
    return False
