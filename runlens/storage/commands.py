"""What runlens may expect of a store of control commands (terminate, steer, retrigger).

A `CommandStore` promises:
- one row per state change of a command; reads return each command in its latest state;
- `save_command` stamps `updated_at_us` strictly above every earlier stamp of this process, so
  the latest state of a command always wins;
- durable on return, errors split as in `runlens.storage.contract`.

Transitions are decided above the store (`runlens.control`), never by it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol


class CommandKind(StrEnum):
    TERMINATE = "terminate"
    STEER = "steer"
    RETRIGGER = "retrigger"


class CommandState(StrEnum):
    REQUESTED = "requested"  # recorded, not yet fetched by the agent
    DELIVERED = "delivered"  # fetched by the agent, not yet acknowledged
    APPLIED = "applied"  # the agent applied it
    FAILED = "failed"  # the agent could not apply it
    EXPIRED = "expired"  # never delivered in time
    REJECTED = "rejected"  # recorded but never sent: it could not apply (e.g. run ended)


PENDING = frozenset({CommandState.REQUESTED, CommandState.DELIVERED})


@dataclass(frozen=True, slots=True)
class ControlCommand:
    project_id: str
    run_id: str
    command_id: str
    seq: int  # order of the commands of one run, from 1
    kind: CommandKind
    payload: str  # JSON object text
    state: CommandState
    issued_by: str  # `api`, `budget`, ...
    created_at_us: int
    updated_at_us: int  # set by the store on save
    detail: str

    def moved(self, state: CommandState, detail: str) -> ControlCommand:
        """The command in a new state (stamped by the store when saved)."""
        return replace(self, state=state, detail=detail)


class CommandStore(Protocol):
    def save_command(self, command: ControlCommand) -> ControlCommand:
        """Store a state of a command; return it with the `updated_at_us` it was stored with."""
        ...

    def run_commands(
        self, project_id: str, run_ids: Sequence[str]
    ) -> dict[str, list[ControlCommand]]:
        """The commands of the given runs in their latest state, in `seq` order; runs without
        commands are absent."""
        ...

    def command(self, project_id: str, command_id: str) -> ControlCommand | None: ...

    def commands_in_states(
        self, project_id: str, kind: CommandKind, states: Sequence[CommandState]
    ) -> list[ControlCommand]:
        """The project's commands of one kind whose latest state is one of `states`."""
        ...
