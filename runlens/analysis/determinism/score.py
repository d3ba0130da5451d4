"""The determinism score of a run (docs/determinism.md, "Score").

score = max(0, 100 - sum of penalties), one penalty per distinct (issue type, action name)
(an action called many times counts once), its most severe issue:
CRITICAL 25, HIGH 15, MEDIUM 8, LOW 3 points, doubled when the issue was observed (in a replay
or a repeated run) rather than guessed from a pattern.
Bands: 90-100 HIGHLY_DETERMINISTIC, 70-89 MODERATE, 50-69 LOW, 0-49 HIGHLY_NON_DETERMINISTIC.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from runlens.analysis.determinism.issues import Issue, IssueType, Severity

POINTS = {Severity.CRITICAL: 25, Severity.HIGH: 15, Severity.MEDIUM: 8, Severity.LOW: 3}
OBSERVED_FACTOR = 2


class Band(StrEnum):
    HIGHLY_DETERMINISTIC = "HIGHLY_DETERMINISTIC"
    MODERATE = "MODERATE"
    LOW = "LOW"
    HIGHLY_NON_DETERMINISTIC = "HIGHLY_NON_DETERMINISTIC"


def penalty(issue: Issue) -> int:
    return POINTS[issue.severity] * (OBSERVED_FACTOR if issue.observed else 1)


def score(issues: Sequence[Issue]) -> int:
    worst: dict[tuple[IssueType, str], int] = {}
    for issue in issues:
        key = (issue.type, issue.action_name)
        worst[key] = max(worst.get(key, 0), penalty(issue))
    return max(0, 100 - sum(worst.values()))


def band(value: int) -> Band:
    if value >= 90:
        return Band.HIGHLY_DETERMINISTIC
    if value >= 70:
        return Band.MODERATE
    if value >= 50:
        return Band.LOW
    return Band.HIGHLY_NON_DETERMINISTIC
