# mypy: disable-error-code="untyped-decorator"
# (strawberry.mutation(description=...) is typed as returning Any)
"""The root `Mutation`: control of running agents (docs/api.md, "Control").

Each mutation records a command and returns it; the agent fetches it through the control
endpoints, applies it at a safe point and acknowledges it.
"""

from __future__ import annotations

from collections.abc import Callable

import strawberry

from runlens.api.graphql.context import Context
from runlens.api.graphql.errors import ApiError, ErrorCode, bad_request, not_found
from runlens.api.graphql.loaders import off_loop
from runlens.api.graphql.types.control import ControlCommand, SteerMode
from runlens.control import service
from runlens.control.service import ControlService, UnknownRun
from runlens.storage.commands import ControlCommand as StoredCommand

Info = strawberry.Info[Context, None]


def _control(info: Info) -> ControlService:
    control = info.context.control
    if control is None:
        raise ApiError(ErrorCode.UNAVAILABLE, "control needs `runlens serve`")
    return control


async def _call(
    info: Info, run_id: str, fn: Callable[..., StoredCommand], *args: object
) -> StoredCommand:
    try:
        return await off_loop(fn, info.context.project_id, run_id, *args)
    except UnknownRun:
        raise not_found(f"no run with id {run_id!r} in this project") from None


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Stop a running run at the agent's next safe point. A second call while "
        "one is pending returns the pending command; on a run that has ended the command is "
        "REJECTED with the reason in `detail` (a no-op)."
    )
    async def terminate_run(
        self, info: Info, id: strawberry.ID, reason: str | None = None
    ) -> ControlCommand:
        command = await _call(info, str(id), _control(info).terminate, reason)
        return ControlCommand(command=command)

    @strawberry.mutation(
        description="Send a message to a running agent: QUEUE appends it as the next user "
        "message, STEER injects it at the next safe point, INTERRUPT stops the current plan. "
        "REJECTED when the run has ended."
    )
    async def steer_run(
        self, info: Info, id: strawberry.ID, message: str, mode: SteerMode
    ) -> ControlCommand:
        if not message.strip():
            raise bad_request("`message` must not be empty")
        steer_mode = service.SteerMode(mode.value)
        command = await _call(info, str(id), _control(info).steer, message, steer_mode)
        return ControlCommand(command=command)

    @strawberry.mutation(
        description="Ask the run's agent to start a new run with this run's recorded input "
        "(the agent's retrigger handler runs it; the new run carries `runlens.retrigger.of`)."
        " A second call while one is pending returns the pending command."
    )
    async def retrigger_run(self, info: Info, id: strawberry.ID) -> ControlCommand:
        command = await _call(info, str(id), _control(info).retrigger)
        return ControlCommand(command=command)
