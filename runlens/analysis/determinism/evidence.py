"""Evidence from other runs: replays of this run and repeated runs with equal input.

Each other run is aligned with this one (`replay.compare.align`). An action whose input was
equal and whose output differed is observed non-determinism; the differing values say which
kind (timestamps, random values, float noise, reordered collections, else OUTPUT_VARIES).
Outputs equal once canonical but spelled with keys in another order are UNORDERED_COLLECTION.
Observed issues are HIGH (repeated runs) or CRITICAL (replays).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from runlens.analysis.determinism import patterns
from runlens.analysis.determinism.detectors import code_location
from runlens.analysis.determinism.issues import EvidenceSource, Issue, IssueType, Severity, quote
from runlens.analysis.replay.actions import actions_of
from runlens.analysis.replay.canonical import canonical, canonical_text, normalise, parse
from runlens.analysis.replay.compare import ActionComparison, Verdict, align
from runlens.analysis.replay.diff import FieldDiff
from runlens.semconv.records import SpanKind, SpanRecord

SEVERITY = {EvidenceSource.REPLAY: Severity.CRITICAL, EvidenceSource.REPEATED_RUNS: Severity.HIGH}


@dataclass(frozen=True, slots=True)
class RelatedRuns:
    replays: dict[str, list[SpanRecord]]
    repeated: dict[str, list[SpanRecord]]


def input_key(spans: Sequence[SpanRecord]) -> str | None:
    """The canonical input of the run: its root's, else its first LLM call's; None if empty."""
    roots = [s for s in spans if not s.parent_span_id and s.input]
    if roots:
        return canonical_text(roots[0].input)
    calls = sorted(
        (s for s in spans if s.kind is SpanKind.LLM_CALL), key=lambda s: s.start_time_unix_nano
    )
    return canonical_text(calls[0].input) if calls and calls[0].input else None


def related_runs(
    run_id: str, spans: Sequence[SpanRecord], candidates: Mapping[str, Sequence[SpanRecord]]
) -> RelatedRuns:
    """Split other runs of the agent into replays of this run and repeated runs (equal input)."""
    key = input_key(spans)
    replays: dict[str, list[SpanRecord]] = {}
    repeated: dict[str, list[SpanRecord]] = {}
    for other_id, other in candidates.items():
        if other_id == run_id or not other:
            continue
        if any(s.replay_of == run_id for s in other):
            replays[other_id] = list(other)
        elif key is not None and not any(s.replay_of for s in other) and input_key(other) == key:
            repeated[other_id] = list(other)
    return RelatedRuns(replays, repeated)


def _sorted_deep(value: object) -> object:
    if isinstance(value, dict):
        return {k: _sorted_deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_sorted_deep(v) for v in value), key=canonical)
    return value


def _is_float_noise(diff: FieldDiff) -> bool:
    try:
        a, b = float(diff.original or "x"), float(diff.replay or "x")
    except ValueError:
        return False
    return a != b and abs(a - b) <= 1e-6 * max(abs(a), abs(b), 1e-12)


def classify(comparison: ActionComparison) -> IssueType:
    assert comparison.original is not None and comparison.replay is not None
    a, b = parse(comparison.original.span.output), parse(comparison.replay.span.output)
    if canonical(_sorted_deep(normalise(a))) == canonical(_sorted_deep(normalise(b))):
        return IssueType.UNORDERED_COLLECTION
    values = " ".join(f"{d.original} {d.replay}" for d in comparison.diff)
    around = comparison.original.span.start_time_unix_nano / 1e9
    if patterns.timestamps(values, around):
        return IssueType.TIMESTAMP
    if patterns.uuids(values) or patterns.random_tokens(values, frozenset()):
        return IssueType.RANDOM_VALUE
    if comparison.diff and all(_is_float_noise(d) for d in comparison.diff):
        return IssueType.FLOATING_POINT
    return IssueType.OUTPUT_VARIES


def _key_order_differs(comparison: ActionComparison) -> bool:
    assert comparison.original is not None and comparison.replay is not None
    a, b = comparison.original.span.output, comparison.replay.span.output
    if a == b:
        return False
    try:
        return json.dumps(json.loads(a)) != json.dumps(json.loads(b))
    except ValueError:
        return False


def _observed(c: ActionComparison, kind: IssueType, source: EvidenceSource, other: str) -> Issue:
    assert c.original is not None
    span = c.original.span
    where = "a replay" if source is EvidenceSource.REPLAY else "a repeated run"
    shown = "; ".join(f"{d.path}: {d.original} vs {d.replay}" for d in c.diff[:3])
    evidence = quote(shown or "same values, keys in another order")
    return Issue(
        span_id=span.span_id,
        action_name=span.name,
        type=kind,
        severity=SEVERITY[source],
        source=source,
        description=quote(
            f"same input, different output in {where} (run {other}): {evidence}", 240
        ),
        evidence=evidence,
        code=code_location(span),
    )


def observed_issues(spans: Sequence[SpanRecord], related: RelatedRuns) -> list[Issue]:
    """Issues seen by comparing this run with its replays and repeated runs."""
    mine = actions_of(spans)
    found: dict[tuple[str, IssueType], Issue] = {}
    sources = [
        (EvidenceSource.REPLAY, related.replays),
        (EvidenceSource.REPEATED_RUNS, related.repeated),
    ]
    for source, runs in sources:
        for other_id, other in runs.items():
            for c in align(mine, actions_of(other)):
                if c.verdict is Verdict.OUTPUT_MISMATCH:
                    kind = classify(c)
                elif c.verdict is Verdict.MATCH and _key_order_differs(c):
                    kind = IssueType.UNORDERED_COLLECTION
                else:
                    continue
                assert c.original is not None
                key = (c.original.span.span_id, kind)
                if key not in found:
                    found[key] = _observed(c, kind, source, other_id)
    return list(found.values())
