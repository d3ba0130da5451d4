# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(description=...) is typed as returning Any)
"""`ControlCommand` (terminate, steer, retrigger) and its enums (docs/api.md, "Control")."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from runlens.api.graphql.types.common import timestamp
from runlens.control import service
from runlens.control.service import payload_of
from runlens.storage import commands


@strawberry.enum(description="What a control command asks of the agent.")
class CommandKind(Enum):
    TERMINATE = commands.CommandKind.TERMINATE.value
    STEER = commands.CommandKind.STEER.value
    RETRIGGER = commands.CommandKind.RETRIGGER.value


@strawberry.enum(
    description="requested → delivered (the agent fetched it) → applied | failed; expired when "
    "never delivered in time; rejected when it could not apply (the detail says why)."
)
class CommandState(Enum):
    REQUESTED = commands.CommandState.REQUESTED.value
    DELIVERED = commands.CommandState.DELIVERED.value
    APPLIED = commands.CommandState.APPLIED.value
    FAILED = commands.CommandState.FAILED.value
    EXPIRED = commands.CommandState.EXPIRED.value
    REJECTED = commands.CommandState.REJECTED.value


@strawberry.enum(description="How a steering message reaches the agent.")
class SteerMode(Enum):
    QUEUE = service.SteerMode.QUEUE.value
    STEER = service.SteerMode.STEER.value
    INTERRUPT = service.SteerMode.INTERRUPT.value


@strawberry.type(description="A command sent to an agent, in its current state.")
class ControlCommand:
    command: strawberry.Private[commands.ControlCommand]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.command.command_id)

    @strawberry.field
    def run_id(self) -> strawberry.ID:
        return strawberry.ID(self.command.run_id)

    @strawberry.field(description="Order of the command among the run's commands, from 1.")
    def seq(self) -> int:
        return self.command.seq

    @strawberry.field
    def kind(self) -> CommandKind:
        return CommandKind(self.command.kind.value)

    @strawberry.field
    def state(self) -> CommandState:
        return CommandState(self.command.state.value)

    @strawberry.field(description="The command's arguments as JSON text.")
    def payload(self) -> str:
        return self.command.payload

    @strawberry.field(description="Why the run is terminated (terminate only).")
    def reason(self) -> str | None:
        return payload_of(self.command).get("reason")

    @strawberry.field(description="`api` (a mutation) or `budget` (the budget rule).")
    def issued_by(self) -> str:
        return self.command.issued_by

    @strawberry.field
    def created_at(self) -> datetime | None:
        return timestamp(self.command.created_at_us * 1000)

    @strawberry.field
    def updated_at(self) -> datetime | None:
        return timestamp(self.command.updated_at_us * 1000)

    @strawberry.field(description="The agent's or runlens's explanation of the state, if any.")
    def detail(self) -> str | None:
        return self.command.detail or None
