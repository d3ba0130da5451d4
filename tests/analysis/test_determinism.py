from __future__ import annotations

import datetime
import time
import uuid

import pytest

from runlens.analysis.determinism.detectors import detect
from runlens.analysis.determinism.issues import (
    EvidenceSource,
    Issue,
    IssueType,
    Severity,
)
from runlens.analysis.determinism.report import determinism_report
from runlens.analysis.determinism.score import Band, band, score
from tests.analysis.runs import RunBuilder, standard_run


def _types(issues: list[Issue]) -> set[IssueType]:
    return {i.type for i in issues}


def test_a_clean_run_has_no_issue_and_scores_100() -> None:
    report = determinism_report("a", standard_run("a").spans)
    assert report.issues == () and report.score == 100
    assert report.band is Band.HIGHLY_DETERMINISTIC


def test_timestamps_iso_and_epoch() -> None:
    run = RunBuilder("a")
    run.tool("clock_tool", {}, {"at": datetime.datetime.now(datetime.UTC).isoformat()})
    run.tool("stamp", {}, {"ms": int(time.time() * 1000), "old": 1000000000})
    issues = [i for i in detect(run.spans) if i.type is IssueType.TIMESTAMP]
    assert [i.action_name for i in issues] == ["execute_tool clock_tool", "execute_tool stamp"]
    assert "1000000000" not in issues[1].evidence
    assert issues[0].severity is Severity.MEDIUM


def test_uuids_and_random_tokens_but_not_the_runs_own_ids() -> None:
    run = RunBuilder("0af7651916cd43dd8448eb211c80319c")
    run.tool(
        "mk", {}, {"id": str(uuid.uuid4()), "token": "f3a9c2e87b1d4605a9e3", "run": run.run_id}
    )
    run.tool("sess", {}, {"key": "Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5"})
    issues = [i for i in detect(run.spans) if i.type is IssueType.RANDOM_VALUE]
    evidence = " ".join(i.evidence for i in issues)
    assert "f3a9c2e87b1d4605a9e3" in evidence and "Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5" in evidence
    assert run.run_id not in evidence
    assert {i.severity for i in issues} == {Severity.MEDIUM, Severity.LOW}


def test_external_state_without_idempotency_keys() -> None:
    run = RunBuilder("a")
    run.tool("http_get", {"url": "https://example.com/rates"}, {"rate": 1})
    run.tool("sql_query", {"sql": "select 1", "as_of": "2026-01-01"}, [1])
    run.tool("write_file", {"path": "/tmp/x"}, {"ok": True})
    issues = [i for i in detect(run.spans) if i.type is IssueType.EXTERNAL_STATE]
    assert [(i.action_name, i.severity) for i in issues] == [
        ("execute_tool http_get", Severity.MEDIUM),
        ("execute_tool write_file", Severity.HIGH),
    ]
    assert "network" in issues[0].description


def test_float_noise_and_rendered_sets_with_code_location() -> None:
    run = RunBuilder("a")
    run.tool(
        "calc", {}, '{"total": 0.30000000000000004}', code_filepath="agent/calc.py", code_lineno=12
    )
    run.tool("tags", {}, "{'red', 'blue', 'green'}")
    issues = detect(run.spans)
    assert _types(issues) == {IssueType.FLOATING_POINT, IssueType.UNORDERED_COLLECTION}
    floats = next(i for i in issues if i.type is IssueType.FLOATING_POINT)
    assert floats.code is not None and floats.code.lineno == 12
    assert "0.30000000000000004" in floats.description


def test_repeated_runs_with_equal_input_are_evidence() -> None:
    a = standard_run("a", ticket="T-1")
    b = standard_run("b", ticket="T-2")
    other_input = standard_run("c", ticket="T-3", prompt="something else")
    report = determinism_report("a", a.spans, {"b": b.spans, "c": other_input.spans})
    assert report.repeated_runs == ("b",)
    (issue,) = report.issues
    assert issue.source is EvidenceSource.REPEATED_RUNS and issue.severity is Severity.HIGH
    assert issue.type is IssueType.OUTPUT_VARIES and issue.action_name == "execute_tool book"
    assert '"T-1" vs "T-2"' in issue.description
    assert report.score == 70 and report.band is Band.MODERATE


def test_replays_weigh_more_and_classify_the_values() -> None:
    a = standard_run("a", ticket=str(uuid.uuid4()))
    replay = standard_run("r", ticket=str(uuid.uuid4()), replay_of="a")
    report = determinism_report("a", a.spans, {"r": replay.spans})
    assert report.replays == ("r",)
    first = report.issues[0]
    assert (first.type, first.severity, first.source) == (
        IssueType.RANDOM_VALUE,
        Severity.CRITICAL,
        EvidenceSource.REPLAY,
    )
    assert report.score == 50 and report.band is Band.LOW


def test_key_order_and_reordered_lists_between_runs() -> None:
    a = RunBuilder("a", root_input="q")
    a.tool("list", {}, '{"x": 1, "y": 2}')
    a.tool("items", {}, ["a", "b", "c"])
    b = RunBuilder("b", root_input="q")
    b.tool("list", {}, '{"y": 2, "x": 1}')
    b.tool("items", {}, ["c", "a", "b"])
    report = determinism_report("a", a.spans, {"b": b.spans})
    assert [(i.action_name, i.type) for i in report.issues] == [
        ("execute_tool list", IssueType.UNORDERED_COLLECTION),
        ("execute_tool items", IssueType.UNORDERED_COLLECTION),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (100, Band.HIGHLY_DETERMINISTIC),
        (90, Band.HIGHLY_DETERMINISTIC),
        (89, Band.MODERATE),
        (70, Band.MODERATE),
        (69, Band.LOW),
        (50, Band.LOW),
        (49, Band.HIGHLY_NON_DETERMINISTIC),
        (0, Band.HIGHLY_NON_DETERMINISTIC),
    ],
)
def test_bands(value: int, expected: Band) -> None:
    assert band(value) is expected


def test_score_counts_each_type_and_action_once_and_floors_at_zero() -> None:
    def issue(name: str, severity: Severity, source: EvidenceSource) -> Issue:
        return Issue("s", name, IssueType.TIMESTAMP, severity, source, "d", "e")

    pattern = EvidenceSource.PATTERN
    same = [issue("t", Severity.MEDIUM, pattern), issue("t", Severity.LOW, pattern)]
    assert score(same) == 92
    assert score([issue("t", Severity.HIGH, EvidenceSource.REPEATED_RUNS)]) == 70
    many = [issue(f"t{n}", Severity.CRITICAL, EvidenceSource.REPLAY) for n in range(5)]
    assert score(many) == 0
