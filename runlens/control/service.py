"""`ControlService`: the rules of control commands over a `CommandStore`.

Lifecycle: requested → delivered (the agent fetched it) → applied | failed (the agent's
acknowledgement). A command never delivered within `expiry_s` becomes expired the next time
anyone looks at it. A terminate or steer of a run that has already ended is recorded as
rejected with the reason in `detail` (a no-op, never sent); a second terminate or retrigger
while one is pending returns the pending command. Each state change is saved as a new row
and reported to `on_change` (the composition root refreshes the run's summary and publishes
it), and new commands wake the agents' long polls through `signal`.

Transitions of one process are serialized by a lock; methods block (call them off the event
loop).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from enum import StrEnum

from runlens.control.signal import CommandSignal, agent_topic, run_topic
from runlens.storage.commands import (
    PENDING,
    CommandKind,
    CommandState,
    CommandStore,
    ControlCommand,
)
from runlens.storage.contract import RunKey, RunReader, RunStatus

DEFAULT_REASON = "terminated through runlens"
BUDGET_REASON = "budget exhausted"
API = "api"
BUDGET = "budget"


class SteerMode(StrEnum):
    QUEUE = "queue"  # append the message as the next user message
    STEER = "steer"  # inject the message at the next safe point
    INTERRUPT = "interrupt"  # stop the current plan and take the message as the new one


class ControlError(Exception):
    """Base of the errors a control request can get."""


class UnknownRun(ControlError):
    pass


class UnknownCommand(ControlError):
    pass


class InvalidTransition(ControlError):
    pass


class ControlService:
    def __init__(
        self,
        store: CommandStore,
        runs: RunReader,
        *,
        expiry_s: float,
        on_change: Callable[[RunKey], None] | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self._store = store
        self._runs = runs
        self._expiry_us = int(expiry_s * 1_000_000)
        self._on_change = on_change
        self._clock = clock
        self._lock = threading.Lock()
        self.signal = CommandSignal()

    # -- requests (GraphQL mutations, budget rule) -------------------------------------------

    def terminate(self, project_id: str, run_id: str, reason: str | None) -> ControlCommand:
        """The run's terminate command (the pending one if any). Raises `UnknownRun`."""
        with self._lock:
            status, commands = self._run_state(project_id, run_id)
            return self._terminate(
                project_id, run_id, commands, status=status, reason=reason or DEFAULT_REASON
            )

    def terminate_over_budget(self, project_id: str, run_id: str) -> ControlCommand | None:
        """Terminate the run with reason "budget exhausted", unless the budget rule already
        did (then None): the rule acts once per run."""
        with self._lock:
            status, commands = self._run_state(project_id, run_id)
            if any(c.kind is CommandKind.TERMINATE and c.issued_by == BUDGET for c in commands):
                return None
            return self._terminate(
                project_id, run_id, commands, status=status, reason=BUDGET_REASON, issued_by=BUDGET
            )

    def _terminate(
        self,
        project_id: str,
        run_id: str,
        commands: list[ControlCommand],
        *,
        status: RunStatus,
        reason: str,
        issued_by: str = API,
    ) -> ControlCommand:
        for command in commands:
            if command.kind is CommandKind.TERMINATE and command.state in PENDING:
                return command
        return self._record(
            project_id,
            run_id,
            commands,
            CommandKind.TERMINATE,
            payload={"reason": reason},
            status=status,
            issued_by=issued_by,
        )

    def steer(self, project_id: str, run_id: str, message: str, mode: SteerMode) -> ControlCommand:
        payload = {"message": message, "mode": mode.value}
        with self._lock:
            status, commands = self._run_state(project_id, run_id)
            return self._record(
                project_id, run_id, commands, CommandKind.STEER, payload=payload, status=status
            )

    def retrigger(self, project_id: str, run_id: str) -> ControlCommand:
        """Ask the run's agent to start a new run with the run's recorded input."""
        with self._lock:
            summary = self._runs.run_summary(project_id, run_id)
            if summary is None:
                raise UnknownRun(run_id)
            commands = self._current(project_id, run_id)
            for command in commands:
                if command.kind is CommandKind.RETRIGGER and command.state in PENDING:
                    return command
            roots = [s for s in self._runs.run_spans(project_id, run_id) if not s.parent_span_id]
            payload = {
                "agent_id": summary.agent_id,
                "agent_name": summary.agent_name,
                "input": roots[0].input if roots else "",
            }
            return self._record(
                project_id,
                run_id,
                commands,
                CommandKind.RETRIGGER,
                payload=payload,
                status=RunStatus.RUNNING,
            )

    # -- the agent side ----------------------------------------------------------------------

    def take_run_commands(self, project_id: str, run_id: str) -> list[ControlCommand]:
        """The run's requested terminate and steer commands, now delivered."""
        with self._lock:
            commands = self._current(project_id, run_id)
            waiting = [
                c
                for c in commands
                if c.state is CommandState.REQUESTED and c.kind is not CommandKind.RETRIGGER
            ]
            return [self._save(c.moved(CommandState.DELIVERED, "")) for c in waiting]

    def take_agent_commands(self, project_id: str, agent_id: str) -> list[ControlCommand]:
        """Requested retriggers of the agent's runs, now delivered."""
        with self._lock:
            found = self._store.commands_in_states(
                project_id, CommandKind.RETRIGGER, [CommandState.REQUESTED]
            )
            live = self._expired([c for c in found if payload_of(c).get("agent_id") == agent_id])
            waiting = [c for c in live if c.state is CommandState.REQUESTED]
            return [self._save(c.moved(CommandState.DELIVERED, "")) for c in waiting]

    def ack(
        self, project_id: str, command_id: str, state: CommandState, detail: str
    ) -> ControlCommand:
        """Record the agent's outcome of a delivered command (applied or failed). Repeating
        the same acknowledgement is a no-op."""
        if state not in (CommandState.APPLIED, CommandState.FAILED):
            raise InvalidTransition(f"an acknowledgement is applied or failed, not {state}")
        with self._lock:
            command = self._store.command(project_id, command_id)
            if command is None:
                raise UnknownCommand(command_id)
            if command.state is state:
                return command
            if command.state is not CommandState.DELIVERED:
                raise InvalidTransition(
                    f"command {command_id} is {command.state}: only a delivered command can be "
                    "acknowledged"
                )
            return self._save(command.moved(state, detail))

    # -- reads -------------------------------------------------------------------------------

    def run_commands(
        self, project_id: str, run_ids: Sequence[str]
    ) -> dict[str, list[ControlCommand]]:
        """The runs' commands in `seq` order, overdue ones expired."""
        with self._lock:
            found = self._store.run_commands(project_id, run_ids)
            return {run_id: self._expired(commands) for run_id, commands in found.items()}

    # -- internals (under the lock) ----------------------------------------------------------

    def _run_state(self, project_id: str, run_id: str) -> tuple[RunStatus, list[ControlCommand]]:
        summary = self._runs.run_summary(project_id, run_id)
        if summary is None:
            raise UnknownRun(run_id)
        return summary.status, self._current(project_id, run_id)

    def _current(self, project_id: str, run_id: str) -> list[ControlCommand]:
        return self._expired(self._store.run_commands(project_id, [run_id]).get(run_id, []))

    def _expired(self, commands: list[ControlCommand]) -> list[ControlCommand]:
        now_us = self._clock() // 1000
        detail = f"not delivered within {self._expiry_us / 1_000_000:g} s"
        return [
            self._save(c.moved(CommandState.EXPIRED, detail))
            if c.state is CommandState.REQUESTED and now_us - c.created_at_us > self._expiry_us
            else c
            for c in commands
        ]

    def _record(
        self,
        project_id: str,
        run_id: str,
        commands: list[ControlCommand],
        kind: CommandKind,
        *,
        payload: dict[str, str],
        status: RunStatus,
        issued_by: str = API,
    ) -> ControlCommand:
        ended = status is not RunStatus.RUNNING
        now_us = self._clock() // 1000
        command = ControlCommand(
            project_id=project_id,
            run_id=run_id,
            command_id=uuid.uuid4().hex,
            seq=max((c.seq for c in commands), default=0) + 1,
            kind=kind,
            payload=json.dumps(payload, sort_keys=True),
            state=CommandState.REJECTED if ended else CommandState.REQUESTED,
            issued_by=issued_by,
            created_at_us=now_us,
            updated_at_us=now_us,
            detail=f"run already {status.value}" if ended else "",
        )
        saved = self._save(command)
        if not ended:
            topic = (
                agent_topic(project_id, payload["agent_id"])
                if kind is CommandKind.RETRIGGER
                else run_topic(project_id, run_id)
            )
            self.signal.notify(topic)
        return saved

    def _save(self, command: ControlCommand) -> ControlCommand:
        saved = self._store.save_command(command)
        if self._on_change is not None:
            self._on_change(RunKey(command.project_id, command.run_id))
        return saved


def payload_of(command: ControlCommand) -> dict[str, str]:
    """The command's payload as a dict of strings (empty when it is not a JSON object)."""
    try:
        value = json.loads(command.payload)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def is_intervention(command: ControlCommand) -> bool:
    """A terminate or steer that reached (or was meant to reach) a running agent."""
    return command.kind in (CommandKind.TERMINATE, CommandKind.STEER) and (
        command.state is not CommandState.REJECTED
    )
