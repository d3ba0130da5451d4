"""The determinism report of one run: pattern issues, observed issues, the score."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from runlens.analysis.determinism.detectors import detect
from runlens.analysis.determinism.evidence import observed_issues, related_runs
from runlens.analysis.determinism.issues import Issue, Severity
from runlens.analysis.determinism.score import Band, band, score
from runlens.semconv.records import SpanRecord

_ORDER = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2, Severity.LOW: 3}


@dataclass(frozen=True, slots=True)
class DeterminismReport:
    run_id: str
    score: int
    band: Band
    issues: tuple[Issue, ...]  # most severe first, observed before pattern, then action order
    replays: tuple[str, ...]  # run ids of the replays compared
    repeated_runs: tuple[str, ...]  # run ids of the repeated runs compared


def determinism_report(
    run_id: str,
    spans: Sequence[SpanRecord],
    candidates: Mapping[str, Sequence[SpanRecord]] | None = None,
) -> DeterminismReport:
    """Analyse `spans` (one run); `candidates` are other runs of the same agent, of which the
    replays of this run and the runs with an equal input serve as evidence."""
    related = related_runs(run_id, spans, candidates or {})
    observed = observed_issues(spans, related)
    seen = {(i.span_id, i.type) for i in observed}
    patterns = [i for i in detect(spans) if (i.span_id, i.type) not in seen]
    ordered = sorted(
        enumerate([*observed, *patterns]),
        key=lambda pair: (_ORDER[pair[1].severity], not pair[1].observed, pair[0]),
    )
    issues = tuple(i for _, i in ordered)
    value = score(issues)
    return DeterminismReport(
        run_id=run_id,
        score=value,
        band=band(value),
        issues=issues,
        replays=tuple(sorted(related.replays)),
        repeated_runs=tuple(sorted(related.repeated)),
    )
