"""`ControlService` over the real store: lifecycle, idempotency, expiry, the budget rule's
"once", and a terminated run staying terminated through later spans."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

import pytest

from runlens.control.service import (
    ControlService,
    InvalidTransition,
    SteerMode,
    UnknownCommand,
    UnknownRun,
)
from runlens.semconv.records import SpanStatus
from runlens.storage.clickhouse.store import ClickHouseStore
from runlens.storage.commands import CommandKind, CommandState, ControlCommand
from runlens.storage.contract import RunKey, RunStatus
from tests.storage.builders import SECOND, T0, llm, root


class Clock:
    def __init__(self) -> None:
        self.now = time.time_ns()

    def __call__(self) -> int:
        return self.now


def running_run(store: ClickHouseStore, project_id: str) -> str:
    run_id = uuid.uuid4().hex
    store.write([root(project_id, run_id, status=SpanStatus.RUNNING)], [])
    store.refresh_runs([RunKey(project_id, run_id)])
    return run_id


class Recording:
    """The real store, remembering each state it saved (merges may collapse the table's rows
    of one command at any time, so the history is checked here)."""

    def __init__(self, store: ClickHouseStore) -> None:
        self.store = store
        self.saved: list[ControlCommand] = []

    def save_command(self, command: ControlCommand) -> ControlCommand:
        stored = self.store.save_command(command)
        self.saved.append(stored)
        return stored

    def run_commands(
        self, project_id: str, run_ids: Sequence[str]
    ) -> dict[str, list[ControlCommand]]:
        return self.store.run_commands(project_id, run_ids)

    def command(self, project_id: str, command_id: str) -> ControlCommand | None:
        return self.store.command(project_id, command_id)

    def commands_in_states(
        self, project_id: str, kind: CommandKind, states: Sequence[CommandState]
    ) -> list[ControlCommand]:
        return self.store.commands_in_states(project_id, kind, states)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def control(store: ClickHouseStore, clock: Clock) -> ControlService:
    return ControlService(store, store, expiry_s=10, clock=clock)


def test_lifecycle_is_saved_state_by_state_and_the_run_stays_terminated(
    store: ClickHouseStore, clock: Clock, project_id: str
) -> None:
    recording = Recording(store)
    control = ControlService(recording, store, expiry_s=10, clock=clock)
    run_id = running_run(store, project_id)
    command = control.terminate(project_id, run_id, "enough")
    assert (command.kind, command.state, command.seq) == (
        CommandKind.TERMINATE,
        CommandState.REQUESTED,
        1,
    )
    [delivered] = control.take_run_commands(project_id, run_id)
    assert delivered.state is CommandState.DELIVERED
    assert control.take_run_commands(project_id, run_id) == []
    applied = control.ack(project_id, command.command_id, CommandState.APPLIED, "stopped")
    assert control.ack(project_id, command.command_id, CommandState.APPLIED, "again") == applied
    store.refresh_runs([RunKey(project_id, run_id)])
    summary = store.run_summary(project_id, run_id)
    assert summary is not None
    assert (summary.status, summary.status_reason) == (RunStatus.TERMINATED, "enough")
    assert summary.ended_at_unix_nano > 0
    # The root ends normally afterwards: the run stays terminated.
    store.write([root(project_id, run_id, end_time_unix_nano=T0 + 5 * SECOND)], [])
    store.refresh_runs([RunKey(project_id, run_id)])
    summary = store.run_summary(project_id, run_id)
    assert summary is not None and summary.status is RunStatus.TERMINATED
    saved = [c for c in recording.saved if c.command_id == command.command_id]
    assert [c.state.value for c in saved] == ["requested", "delivered", "applied"]
    stamps = [c.updated_at_us for c in saved]
    assert stamps == sorted(set(stamps))
    latest = store.command(project_id, command.command_id)
    assert latest is not None and latest.updated_at_us == stamps[-1]
    again = control.terminate(project_id, run_id, None)
    assert (again.state, again.detail) == (CommandState.REJECTED, "run already terminated")


def test_pending_terminate_is_returned_and_undelivered_commands_expire(
    store: ClickHouseStore, control: ControlService, clock: Clock, project_id: str
) -> None:
    run_id = running_run(store, project_id)
    first = control.terminate(project_id, run_id, "stop")
    assert control.terminate(project_id, run_id, "stop again").command_id == first.command_id
    steer = control.steer(project_id, run_id, "look again", SteerMode.QUEUE)
    assert steer.seq == 2
    clock.now += 11 * SECOND
    found = control.run_commands(project_id, [run_id])[run_id]
    assert [c.state for c in found] == [CommandState.EXPIRED, CommandState.EXPIRED]
    assert found[0].detail == "not delivered within 10 s"
    assert control.take_run_commands(project_id, run_id) == []
    assert control.terminate(project_id, run_id, "stop").command_id != first.command_id


def test_acknowledgements_need_a_delivered_command(
    store: ClickHouseStore, control: ControlService, project_id: str
) -> None:
    run_id = running_run(store, project_id)
    command = control.steer(project_id, run_id, "hello", SteerMode.STEER)
    with pytest.raises(InvalidTransition):
        control.ack(project_id, command.command_id, CommandState.APPLIED, "")
    with pytest.raises(UnknownCommand):
        control.ack(project_id, "no-such-command", CommandState.APPLIED, "")
    with pytest.raises(UnknownRun):
        control.steer(project_id, "no-such-run", "hello", SteerMode.QUEUE)


def test_the_budget_rule_terminates_once(
    store: ClickHouseStore, control: ControlService, project_id: str
) -> None:
    run_id = running_run(store, project_id)
    store.write([llm(project_id, run_id, "c1")], [])
    first = control.terminate_over_budget(project_id, run_id)
    assert first is not None and first.issued_by == "budget"
    assert control.terminate_over_budget(project_id, run_id) is None
    [delivered] = control.take_run_commands(project_id, run_id)
    control.ack(project_id, delivered.command_id, CommandState.FAILED, "busy")
    assert control.terminate_over_budget(project_id, run_id) is None
    summary_before = store.run_summary(project_id, run_id)
    assert summary_before is not None and summary_before.status is RunStatus.RUNNING
