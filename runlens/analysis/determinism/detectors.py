"""Pattern detectors over one run's actions.

Scanned: tool executions' arguments and results, LLM calls' input messages. A value found
once is reported once, at the first action where it appears (a tool result quoted in the next
prompt is the tool's issue). Pattern findings are MEDIUM or LOW: evidence from other runs
(`evidence.py`) is what makes an issue HIGH or CRITICAL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from runlens.analysis.determinism import patterns
from runlens.analysis.determinism.issues import (
    CodeLocation,
    EvidenceSource,
    Issue,
    IssueType,
    Severity,
    quote,
)
from runlens.analysis.replay.actions import Action, actions_of
from runlens.semconv.records import SpanKind, SpanRecord

_EXTERNAL = {
    "network": re.compile(r"https?://|\b(http|fetch|request|download|web|url|api|search)", re.I),
    "database": re.compile(r"\b(sql|db|database|query|select|insert|update|delete)\b|_db\b", re.I),
    "files": re.compile(r"\b(file|read_file|write_file|path|open|fs|disk)\b|\w+_file\b", re.I),
    "clock": re.compile(r"\b(time|now|clock|date|today)\b|get_time|current_time", re.I),
}
_IDEMPOTENT = re.compile(
    r"idempotency|request_id|requestId|as_of|asOf|snapshot|version|etag|cache_key", re.I
)
_WRITES = re.compile(r"\b(write|insert|update|delete|post|put|send|create|pay)", re.I)


def code_location(span: SpanRecord) -> CodeLocation | None:
    if not (span.code_filepath or span.code_function):
        return None
    return CodeLocation(span.code_filepath, span.code_function, span.code_lineno)


def known_ids(spans: Sequence[SpanRecord]) -> frozenset[str]:
    ids: set[str] = set()
    for s in spans:
        ids.update((s.trace_id, s.span_id, s.run_id, s.response_id, s.tool_call_id))
        ids.update(c.id for c in s.tool_calls)
    ids.discard("")
    return frozenset(i.lower() for i in ids) | frozenset(ids)


def texts(span: SpanRecord) -> list[str]:
    if span.kind is SpanKind.TOOL_EXECUTION:
        return [span.input, span.output]
    return [span.input]


def issue(
    action: Action, kind: IssueType, severity: Severity, what: str, found: list[str]
) -> Issue:
    evidence = quote(", ".join(found))
    return Issue(
        span_id=action.span.span_id,
        action_name=action.span.name,
        type=kind,
        severity=severity,
        source=EvidenceSource.PATTERN,
        description=quote(f"{what}: {evidence}", 240),
        evidence=evidence,
        code=code_location(action.span),
    )


Finder = Callable[[Action, str], list[str]]


def _pattern_finders(spans: Sequence[SpanRecord]) -> list[tuple[IssueType, Severity, str, Finder]]:
    known = known_ids(spans)
    return [
        (IssueType.TIMESTAMP, Severity.MEDIUM, "a timestamp near the run's time",
         lambda a, t: patterns.timestamps(t, a.span.start_time_unix_nano / 1e9)),
        (IssueType.RANDOM_VALUE, Severity.MEDIUM, "a UUID",
         lambda a, t: patterns.uuids(t)),
        (IssueType.RANDOM_VALUE, Severity.LOW, "a high-entropy token",
         lambda a, t: patterns.random_tokens(t, known)),
        (IssueType.FLOATING_POINT, Severity.LOW, "floats with long mantissas",
         lambda a, t: patterns.long_floats(t)),
        (IssueType.UNORDERED_COLLECTION, Severity.LOW, "a rendered set (iteration order varies)",
         lambda a, t: patterns.rendered_sets(t)),
    ]  # fmt: skip


def external_state(action: Action) -> Issue | None:
    span = action.span
    if span.kind is not SpanKind.TOOL_EXECUTION:
        return None
    subject = f"{span.tool_name or span.name} {span.input}"
    kinds = [name for name, rx in _EXTERNAL.items() if rx.search(span.tool_name or span.name)]
    kinds += [name for name, rx in _EXTERNAL.items() if name not in kinds and rx.search(subject)]
    if not kinds or _IDEMPOTENT.search(span.input):
        return None
    writes = bool(_WRITES.search(span.tool_name or span.name))
    what = (
        f"tool {span.tool_name or span.name!r} reads or changes external state "
        f"({', '.join(kinds)}) without an idempotency key or snapshot"
    )
    found = [quote(span.input, 100)] if span.input else []
    severity = Severity.HIGH if writes else Severity.MEDIUM
    return issue(action, IssueType.EXTERNAL_STATE, severity, what, found)


def detect(spans: Sequence[SpanRecord]) -> list[Issue]:
    """Pattern issues of the run's actions, in action order."""
    finders = _pattern_finders(spans)
    seen: set[tuple[IssueType, str]] = set()
    found: list[Issue] = []
    for action in actions_of(spans):
        external = external_state(action)
        if external is not None:
            found.append(external)
        for kind, severity, what, finder in finders:
            values = [v for text in texts(action.span) if text for v in finder(action, text)]
            fresh = [v for v in dict.fromkeys(values) if (kind, v) not in seen]
            if fresh:
                seen.update((kind, v) for v in fresh)
                found.append(issue(action, kind, severity, what, fresh))
    return found
