"""Every backend lists runs the same way: filters, both sorts in both directions, keyset pages,
counts, agents, project totals and the runs that need attention."""

from __future__ import annotations

import dataclasses
import json
import uuid

import pytest

from runlens.semconv.records import SpanStatus
from runlens.storage.commands import CommandKind, CommandState, ControlCommand
from runlens.storage.contract import (
    InterceptQuery,
    RunPosition,
    RunQuery,
    RunSortField,
    RunStatus,
    Store,
)

from ..builders import SECOND, T0, llm, root, tool
from .support import write


def _runs(store: Store, project_id: str) -> None:
    """r0..r4 started a second apart: r0 failed (agent alpha), r1 running (beta), the others
    completed (alpha, beta, gamma), costing 0.01 per LLM call, r4 the most."""
    write(store, [
        root(project_id, "r0", agent_id="alpha", name="nightly Import",
             status=SpanStatus.ERROR, error_type="Boom"),
        root(project_id, "r1", agent_id="beta", agent_name="Beta Bot",
             start_time_unix_nano=T0 + SECOND,
             status=SpanStatus.RUNNING, end_time_unix_nano=0),
        llm(project_id, "r1", "c", start_time_unix_nano=T0 + SECOND),
        root(project_id, "r2", agent_id="alpha", start_time_unix_nano=T0 + 2 * SECOND),
        root(project_id, "r3", agent_id="beta", agent_name="Beta Bot",
             start_time_unix_nano=T0 + 3 * SECOND),
        root(project_id, "r4", agent_id="gamma", start_time_unix_nano=T0 + 4 * SECOND),
        *[llm(project_id, "r4", f"c{i}", start_time_unix_nano=T0 + 4 * SECOND) for i in range(3)],
    ])  # fmt: skip


def _ids(store: Store, query: RunQuery) -> list[str]:
    return [s.run_id for s in store.runs_page(query)]


def test_filters_select_runs_and_count_them(store: Store, project_id: str) -> None:
    _runs(store, project_id)
    q = RunQuery(project_id=project_id, limit=50)
    cases = {
        "all": (q, ["r4", "r3", "r2", "r1", "r0"]),
        "failed": (dataclasses.replace(q, statuses=(RunStatus.FAILED,)), ["r0"]),
        "done": (
            dataclasses.replace(q, statuses=(RunStatus.COMPLETED, RunStatus.RUNNING)),
            ["r4", "r3", "r2", "r1"],
        ),
        "cost": (dataclasses.replace(q, min_cost_usd=0.02), ["r4"]),
        "window": (dataclasses.replace(q, started_after_unix_nano=T0 + 3 * SECOND), ["r4", "r3"]),
        "agent": (dataclasses.replace(q, agent_id="alpha"), ["r2", "r0"]),
        "search name": (dataclasses.replace(q, search="IMPORT"), ["r0"]),
        "search agent": (dataclasses.replace(q, search="bot"), ["r3", "r1"]),
        "search id": (dataclasses.replace(q, search="R2"), ["r2"]),
        "other project": (dataclasses.replace(q, project_id=project_id + "-x"), []),
    }
    for name, (query, expected) in cases.items():
        assert _ids(store, query) == expected, name
        assert store.count_runs(dataclasses.replace(query, limit=1)) == len(expected), name


@pytest.mark.parametrize("sort", list(RunSortField))
@pytest.mark.parametrize("descending", [True, False])
def test_pages_continue_strictly_after_their_position(
    store: Store, project_id: str, sort: RunSortField, descending: bool
) -> None:
    _runs(store, project_id)
    q = RunQuery(project_id=project_id, limit=2, sort=sort, descending=descending)
    everything = store.runs_page(dataclasses.replace(q, limit=50))
    values = [
        (s.started_at_unix_nano if sort is RunSortField.STARTED_AT else s.cost_usd, s.run_id)
        for s in everything
    ]
    assert values == sorted(values, reverse=descending)

    paged: list[str] = []
    while page := store.runs_page(q):
        paged.extend(s.run_id for s in page)
        last = page[-1]
        value = last.started_at_unix_nano if sort is RunSortField.STARTED_AT else last.cost_usd
        q = dataclasses.replace(q, after=RunPosition(value, last.run_id))
    assert paged == [s.run_id for s in everything]


def test_summaries_by_id_agents_and_totals(store: Store, project_id: str) -> None:
    _runs(store, project_id)

    found = store.run_summaries(project_id, ["r4", "r0", "missing", "r4"])
    assert sorted(s.run_id for s in found) == ["r0", "r4"]
    assert store.run_summaries(project_id, []) == []
    stats = store.agent_stats(project_id, None, 10)
    assert [(a.agent_id, a.agent_name, a.run_count) for a in stats] == [
        ("alpha", "alpha", 2), ("beta", "Beta Bot", 2), ("gamma", "gamma", 1),
    ]  # fmt: skip
    assert [a.agent_id for a in store.agent_stats(project_id, "BOT", 10)] == ["beta"]
    assert [a.agent_id for a in store.agent_stats(project_id, None, 1)] == ["alpha"]
    assert [a.agent_id for a in store.agent_stats(project_id, None, 10, ["gamma"])] == ["gamma"]
    totals = store.project_totals(project_id, None)
    assert (totals.runs, totals.spans, totals.actions) == (5, 9, 4)
    assert totals.cost_usd == pytest.approx(0.04)
    assert (totals.input_tokens, totals.cached_tokens) == (400, 80)
    assert (totals.output_tokens, totals.reasoning_tokens) == (200, 40)
    recent = store.project_totals(project_id, T0 + 4 * SECOND)
    assert (recent.runs, recent.actions) == (1, 3)


def _command(
    project_id: str, run_id: str, kind: CommandKind, state: CommandState
) -> ControlCommand:
    return ControlCommand(
        project_id=project_id, run_id=run_id, command_id=uuid.uuid4().hex, seq=1, kind=kind,
        payload=json.dumps({"reason": "test"}), state=state, issued_by="api",
        created_at_us=T0 // 1000, updated_at_us=0, detail="",
    )  # fmt: skip


def test_intercepts_are_failed_over_budget_or_often_stopped(store: Store, project_id: str) -> None:
    write(store, [
        root(project_id, "failed", status=SpanStatus.ERROR),
        root(project_id, "costly", agent_id="spender", start_time_unix_nano=T0 + SECOND),
        llm(project_id, "costly", "c", cost_usd=5.0, start_time_unix_nano=T0 + SECOND),
        root(project_id, "capped", start_time_unix_nano=T0 + 2 * SECOND,
             attributes={"runlens.budget.usd": "0.5"}),
        llm(project_id, "capped", "c", cost_usd=1.0, start_time_unix_nano=T0 + 2 * SECOND),
        root(project_id, "blocked", start_time_unix_nano=T0 + 3 * SECOND),
        tool(project_id, "blocked", "t1", outcome="blocked", start_time_unix_nano=T0 + 3 * SECOND),
        tool(project_id, "blocked", "t2", start_time_unix_nano=T0 + 3 * SECOND),
        root(project_id, "steered", start_time_unix_nano=T0 + 4 * SECOND),
        tool(project_id, "steered", "t1", start_time_unix_nano=T0 + 4 * SECOND),
        root(project_id, "fine", start_time_unix_nano=T0 + 5 * SECOND),
        tool(project_id, "fine", "t1", start_time_unix_nano=T0 + 5 * SECOND),
        tool(project_id, "fine", "t2", start_time_unix_nano=T0 + 5 * SECOND),
    ])  # fmt: skip
    store.save_command(_command(project_id, "steered", CommandKind.STEER, CommandState.APPLIED))
    store.save_command(_command(project_id, "fine", CommandKind.STEER, CommandState.REJECTED))
    q = InterceptQuery(
        project_id=project_id, limit=10, agent_budgets_usd=(("spender", 1.0),),
        intervention_threshold=0.5,
    )  # fmt: skip

    found = {c.summary.run_id: c for c in store.intercepts(q)}

    assert list(found) == ["steered", "blocked", "capped", "costly", "failed"]
    assert (found["blocked"].blocked_actions, found["blocked"].interventions) == (1, 0)
    assert (found["steered"].blocked_actions, found["steered"].interventions) == (0, 1)
    assert (found["capped"].budget_usd, found["costly"].budget_usd) == (0.5, 1.0)
    assert found["failed"].budget_usd is None
    first = store.intercepts(dataclasses.replace(q, limit=2))
    after = RunPosition(first[-1].summary.started_at_unix_nano, first[-1].summary.run_id)
    rest = store.intercepts(dataclasses.replace(q, after=after))
    assert [c.summary.run_id for c in first + rest] == list(found)
    window = dataclasses.replace(q, started_after_unix_nano=T0 + 3 * SECOND)
    assert [c.summary.run_id for c in store.intercepts(window)] == ["steered", "blocked"]
