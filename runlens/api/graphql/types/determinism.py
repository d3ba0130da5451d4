"""GraphQL types of `determinismReport`."""

from __future__ import annotations

from enum import Enum

import strawberry

from runlens.analysis.determinism import issues as i
from runlens.analysis.determinism import report as r
from runlens.analysis.determinism.recommendations import RECOMMENDATIONS


@strawberry.enum(description="What makes an action vary.")
class DeterminismIssueType(Enum):
    TIMESTAMP = "TIMESTAMP"
    RANDOM_VALUE = "RANDOM_VALUE"
    EXTERNAL_STATE = "EXTERNAL_STATE"
    FLOATING_POINT = "FLOATING_POINT"
    UNORDERED_COLLECTION = "UNORDERED_COLLECTION"
    OUTPUT_VARIES = "OUTPUT_VARIES"


@strawberry.enum
class IssueSeverity(Enum):
    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


@strawberry.enum(
    description="PATTERN: a value that looks non-deterministic; REPEATED_RUNS / REPLAY: "
    "observed to differ for the same input."
)
class EvidenceSource(Enum):
    PATTERN = "PATTERN"
    REPEATED_RUNS = "REPEATED_RUNS"
    REPLAY = "REPLAY"


@strawberry.enum(description="90-100, 70-89, 50-69, 0-49.")
class DeterminismBand(Enum):
    HIGHLY_DETERMINISTIC = "HIGHLY_DETERMINISTIC"
    MODERATE = "MODERATE"
    LOW = "LOW"
    HIGHLY_NON_DETERMINISTIC = "HIGHLY_NON_DETERMINISTIC"


@strawberry.type(description="Where the action's code is (from code.* attributes).")
class CodeLocation:
    filepath: str
    function: str
    lineno: int


@strawberry.type(description="A concrete fix with before/after code.")
class Recommendation:
    text: str
    before: str
    after: str


@strawberry.type(description="One determinism issue of an action.")
class DeterminismIssue:
    span_id: strawberry.ID
    action_name: str
    type: DeterminismIssueType
    severity: IssueSeverity
    evidence_source: EvidenceSource
    description: str
    evidence: str
    code: CodeLocation | None
    recommendation: Recommendation

    @classmethod
    def of(cls, issue: i.Issue) -> DeterminismIssue:
        fix = RECOMMENDATIONS[issue.type]
        code = issue.code
        return cls(
            span_id=strawberry.ID(issue.span_id),
            action_name=issue.action_name,
            type=DeterminismIssueType(issue.type.value),
            severity=IssueSeverity(issue.severity.value),
            evidence_source=EvidenceSource(issue.source.value),
            description=issue.description,
            evidence=issue.evidence,
            code=CodeLocation(filepath=code.filepath, function=code.function, lineno=code.lineno)
            if code
            else None,
            recommendation=Recommendation(text=fix.text, before=fix.before, after=fix.after),
        )


@strawberry.type(description='How deterministic a run is (docs/determinism.md, "Score").')
class DeterminismReport:
    run_id: strawberry.ID
    score: int
    band: DeterminismBand
    issues: list[DeterminismIssue]
    replays_compared: list[strawberry.ID]
    repeated_runs_compared: list[strawberry.ID]

    @classmethod
    def of(cls, report: r.DeterminismReport) -> DeterminismReport:
        return cls(
            run_id=strawberry.ID(report.run_id),
            score=report.score,
            band=DeterminismBand(report.band.value),
            issues=[DeterminismIssue.of(x) for x in report.issues],
            replays_compared=[strawberry.ID(x) for x in report.replays],
            repeated_runs_compared=[strawberry.ID(x) for x in report.repeated_runs],
        )
