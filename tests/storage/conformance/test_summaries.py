"""Every backend summarises a run the same way: status, agent, counts by the counting rules,
lost runs closed and reopened."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest

from runlens.semconv.records import (
    CostSource,
    SpanKind,
    SpanRecord,
    SpanStatus,
    TokenUsage,
)
from runlens.storage.commands import CommandKind, CommandState, ControlCommand
from runlens.storage.contract import LOST_REASON, RunKey, RunStatus, Store

from ..builders import SECOND, T0, llm, root, tool
from .support import write


def _run(project_id: str, run_id: str = "run-1") -> list[SpanRecord]:
    return [
        root(project_id, run_id, end_time_unix_nano=T0 + 10 * SECOND, agent_name="planner"),
        llm(project_id, run_id, "llm-1", start_time_unix_nano=T0 + SECOND),
        tool(project_id, run_id, "tool-1", start_time_unix_nano=T0 + 2 * SECOND),
        llm(project_id, run_id, "llm-2", start_time_unix_nano=T0 + 3 * SECOND),
    ]


def test_a_completed_run_is_summarised(store: Store, project_id: str) -> None:
    write(store, _run(project_id), [])

    summary = store.run_summary(project_id, "run-1")

    assert summary is not None
    assert summary.status == RunStatus.COMPLETED
    assert summary.status_reason == ""
    assert (summary.agent_id, summary.agent_name, summary.name) == (
        "planner",
        "planner",
        "agent run",
    )
    assert summary.started_at_unix_nano == T0
    assert summary.ended_at_unix_nano == T0 + 10 * SECOND
    assert summary.last_activity_unix_nano >= T0 + 10 * SECOND
    assert (summary.span_count, summary.action_count, summary.action_ok_count) == (4, 3, 3)
    assert (summary.turns, summary.error_count) == (2, 0)
    assert (summary.input_tokens, summary.cached_tokens, summary.cache_write_tokens) == (
        200,
        40,
        10,
    )
    assert (summary.output_tokens, summary.reasoning_tokens) == (100, 20)
    assert summary.cost_usd == pytest.approx(0.02)
    assert summary.unpriced_count == 0
    assert summary.models == ("gpt-4o",)
    assert (summary.error_type, summary.error_message) == ("", "")


def test_llm_spans_sharing_a_response_id_count_once(store: Store, project_id: str) -> None:
    usage = TokenUsage(input=1000, output=100)
    write(
        store,
        [
            root(project_id, "run-1"),
            llm(project_id, "run-1", "a", response_id="resp-1", usage=usage, cost_usd=1.0),
            llm(project_id, "run-1", "b", response_id="resp-1", usage=usage, cost_usd=1.0),
            llm(project_id, "run-1", "c", response_id="resp-2", usage=usage, cost_usd=1.0),
            llm(project_id, "run-1", "d", usage=usage, cost_usd=1.0),
            llm(project_id, "run-1", "e", usage=usage, cost_usd=1.0),
            tool(project_id, "run-1", "t", usage=usage, cost_usd=5.0),
        ],
        [],
    )

    summary = store.run_summary(project_id, "run-1")

    assert summary is not None
    assert (summary.input_tokens, summary.output_tokens) == (4000, 400)
    assert summary.cost_usd == pytest.approx(4.0)
    assert summary.turns == 4  # turns are counted calls too


def test_unpriced_calls_are_counted_not_priced(store: Store, project_id: str) -> None:
    write(store,
        [
            llm(project_id, "run-1", "a", cost_usd=None, cost_source=CostSource.UNPRICED,
                request_model="mystery-1"),
            llm(project_id, "run-1", "b", cost_usd=0.5, response_model="gpt-4o-2024"),
        ],
        [],
    )  # fmt: skip

    summary = store.run_summary(project_id, "run-1")

    assert summary is not None
    assert summary.unpriced_count == 1
    assert summary.cost_usd == pytest.approx(0.5)
    assert summary.models == ("gpt-4o-2024", "mystery-1")
    assert summary.status == RunStatus.RUNNING  # no root span yet


def test_a_run_fails_when_its_root_fails(store: Store, project_id: str) -> None:
    write(store,
        [
            tool(project_id, "run-1", "t1", status=SpanStatus.ERROR, error_type="ToolError",
                 error_message="no such file", start_time_unix_nano=T0 + SECOND),
            root(project_id, "run-1", status=SpanStatus.ERROR, error_type="AgentError",
                 error_message="gave up", start_time_unix_nano=T0 + 2 * SECOND),
        ],
        [],
    )  # fmt: skip

    summary = store.run_summary(project_id, "run-1")

    assert summary is not None
    assert summary.status == RunStatus.FAILED
    assert (summary.error_type, summary.error_message) == ("AgentError", "gave up")
    assert (summary.error_count, summary.action_count, summary.action_ok_count) == (2, 1, 0)


def test_a_failed_child_does_not_fail_a_completed_run(store: Store, project_id: str) -> None:
    write(
        store,
        [
            root(project_id, "run-1"),
            tool(project_id, "run-1", "t1", status=SpanStatus.ERROR, error_type="ToolError"),
            tool(project_id, "run-1", "t2"),
        ],
        [],
    )

    summary = store.run_summary(project_id, "run-1")

    assert summary is not None
    assert summary.status == RunStatus.COMPLETED
    assert summary.error_type == "ToolError"
    assert (summary.action_count, summary.action_ok_count) == (2, 1)


def test_agent_falls_back_to_the_root_agent_then_the_service_name(
    store: Store, project_id: str
) -> None:
    write(store, [root(project_id, "run-1", service_name="svc", kind=SpanKind.OTHER)], [])
    write(store, [root(project_id, "run-2", service_name="svc", agent_id="id-7")], [])
    write(store, [root(project_id, "run-3", service_name="svc", name="invoke_agent planner")], [])

    one, two, three = (store.run_summary(project_id, f"run-{n}") for n in (1, 2, 3))

    assert one is not None and two is not None and three is not None
    assert (one.agent_id, one.agent_name) == ("svc", "svc")
    assert (two.agent_id, two.agent_name) == ("id-7", "id-7")
    assert (three.agent_id, three.agent_name) == ("planner", "planner")


def test_a_late_span_of_an_old_run_is_still_counted(store: Store, project_id: str) -> None:
    old = T0 - 3 * 86_400 * SECOND
    write(store, [root(project_id, "run-1", start_time_unix_nano=old,
                      end_time_unix_nano=old + SECOND)], [])  # fmt: skip
    write(store, [llm(project_id, "run-1", "late")], [])

    summary = store.run_summary(project_id, "run-1")

    assert summary is not None
    assert summary.span_count == 2
    assert summary.started_at_unix_nano == old
    assert summary.status == RunStatus.COMPLETED


def test_lost_runs_are_closed_and_reopened_by_new_spans(store: Store, project_id: str) -> None:
    marker = root(project_id, "idle", status=SpanStatus.RUNNING, end_time_unix_nano=0)
    write(store, [marker, llm(project_id, "idle", "llm-1")], [])
    write(store, _run(project_id, "done"), [])
    time.sleep(0.05)
    cutoff = time.time_ns()
    time.sleep(0.05)
    write(store, [root(project_id, "busy", status=SpanStatus.RUNNING, end_time_unix_nano=0)], [])

    closed = store.close_lost_runs(idle_seconds=2, now_unix_nano=cutoff + 2 * SECOND)

    assert closed >= 1
    lost = store.run_summary(project_id, "idle")
    assert lost is not None
    assert (lost.status, lost.status_reason) == (RunStatus.FAILED, LOST_REASON)
    assert (lost.error_type, lost.error_message) == ("lost", "no activity for 2 s")
    assert lost.ended_at_unix_nano == lost.last_activity_unix_nano
    assert lost.input_tokens == 100
    busy, done = store.run_summary(project_id, "busy"), store.run_summary(project_id, "done")
    assert busy is not None and busy.status == RunStatus.RUNNING
    assert done is not None and done.status == RunStatus.COMPLETED
    assert store.close_lost_runs(idle_seconds=2, now_unix_nano=cutoff + 2 * SECOND) == 0

    write(store, [llm(project_id, "idle", "llm-2")], [])
    reopened = store.run_summary(project_id, "idle")
    assert reopened is not None
    assert (reopened.status, reopened.status_reason, reopened.error_type) == (
        RunStatus.RUNNING, "", "",
    )  # fmt: skip
    assert reopened.turns == 2

    write(
        store,
        [dataclasses.replace(marker, status=SpanStatus.OK, end_time_unix_nano=T0 + SECOND)],
        [],
    )
    finished = store.run_summary(project_id, "idle")
    assert finished is not None and finished.status == RunStatus.COMPLETED


def _terminate(project_id: str, run_id: str, state: CommandState) -> ControlCommand:
    return ControlCommand(
        project_id=project_id, run_id=run_id, command_id=f"cmd-{run_id}", seq=1,
        kind=CommandKind.TERMINATE, payload=json.dumps({"reason": "over budget"}), state=state,
        issued_by="budget", created_at_us=T0 // 1000, updated_at_us=0, detail="",
    )  # fmt: skip


def test_an_applied_terminate_command_makes_the_run_terminated(
    store: Store, project_id: str
) -> None:
    running = root(project_id, "r1", status=SpanStatus.RUNNING, end_time_unix_nano=0)
    write(store, [running, llm(project_id, "r1", "c1")])
    write(store, [root(project_id, "r2", status=SpanStatus.RUNNING, end_time_unix_nano=0)])
    store.save_command(_terminate(project_id, "r2", CommandState.DELIVERED))
    applied = store.save_command(_terminate(project_id, "r1", CommandState.APPLIED))
    store.refresh_runs([RunKey(project_id, "r1"), RunKey(project_id, "r2")])

    stopped = store.run_summary(project_id, "r1")
    assert stopped is not None
    assert (stopped.status, stopped.status_reason) == (RunStatus.TERMINATED, "over budget")
    assert stopped.ended_at_unix_nano == applied.updated_at_us * 1000
    asked = store.run_summary(project_id, "r2")
    assert asked is not None and asked.status == RunStatus.RUNNING

    write(store, [dataclasses.replace(running, status=SpanStatus.OK, end_time_unix_nano=T0 + 7)])
    ended = store.run_summary(project_id, "r1")
    assert ended is not None
    assert (ended.status, ended.ended_at_unix_nano) == (RunStatus.TERMINATED, T0 + 7)
