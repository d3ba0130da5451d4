"""The agents' side of control (docs/api.md, "Control"): outbound HTTP only, so an agent needs
no open port.

- `GET /control/runs/{run_id}/commands?wait=S`: the run's requested terminate and steer
  commands, marked delivered; with `wait`, a long poll that answers as soon as one is recorded
  or after S seconds (at most 30) with none.
- `GET /control/agents/{agent_id}/commands?wait=S`: the same for retriggers of the agent's runs.
- `POST /control/commands/{id}/ack` `{"state": "applied" | "failed", "detail": "..."}`.

Errors are JSON `{"error": ...}`: 404 unknown command, 409 a command that cannot take that
state, 503 the store is unavailable (retry).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from runlens.control.service import ControlService, InvalidTransition, UnknownCommand
from runlens.control.signal import agent_topic, run_topic
from runlens.storage.commands import CommandState, ControlCommand
from runlens.storage.contract import StorageError

MAX_WAIT_S = 30.0
RECHECK_S = 2.0
"""A long poll also looks again this often: commands recorded by another runlens process
send no signal to this one."""

# The errors each endpoint answers, for the OpenAPI schema.
_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"description": "The store is unavailable; retry later."}
}
_ACK_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No command with this id in this project."},
    409: {"description": "The command cannot take this state (see its current state)."},
    **_UNAVAILABLE,
}


class Ack(BaseModel):
    state: Literal["applied", "failed"]
    detail: str = ""


def command_json(command: ControlCommand) -> dict[str, Any]:
    return {
        "id": command.command_id,
        "run_id": command.run_id,
        "seq": command.seq,
        "kind": command.kind.value,
        "state": command.state.value,
        "payload": json.loads(command.payload or "{}"),
        "issued_by": command.issued_by,
        "created_at_us": command.created_at_us,
        "updated_at_us": command.updated_at_us,
        "detail": command.detail,
    }


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def build_control_router(
    control: ControlService, project: Callable[[HTTPConnection], Awaitable[str]]
) -> APIRouter:
    """`project` is the dependency that resolves a request's API key to its project."""
    router = APIRouter()

    async def long_poll(
        topic: str, take: Callable[[], list[ControlCommand]], wait: float
    ) -> JSONResponse:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(wait, MAX_WAIT_S)
        try:
            while True:
                with control.signal.listen(topic) as recorded:
                    found = await run_in_threadpool(take)
                    remaining = deadline - loop.time()
                    if found or remaining <= 0:
                        return JSONResponse({"commands": [command_json(c) for c in found]})
                    with suppress(TimeoutError):
                        await asyncio.wait_for(recorded.wait(), min(remaining, RECHECK_S))
        except StorageError as exc:
            return _error(503, f"the store is unavailable, retry later: {exc}")

    @router.get("/runs/{run_id}/commands", responses=_UNAVAILABLE)
    async def run_commands(
        run_id: str, wait: float = Query(0.0, ge=0), project_id: str = Depends(project)
    ) -> JSONResponse:
        """The run's new terminate and steer commands (now delivered), waiting up to `wait` s."""
        return await long_poll(
            run_topic(project_id, run_id),
            lambda: control.take_run_commands(project_id, run_id),
            wait,
        )

    @router.get("/agents/{agent_id}/commands", responses=_UNAVAILABLE)
    async def agent_commands(
        agent_id: str, wait: float = Query(0.0, ge=0), project_id: str = Depends(project)
    ) -> JSONResponse:
        """New retriggers of the agent's runs (now delivered), waiting up to `wait` s."""
        return await long_poll(
            agent_topic(project_id, agent_id),
            lambda: control.take_agent_commands(project_id, agent_id),
            wait,
        )

    @router.post("/commands/{command_id}/ack", responses=_ACK_ERRORS)
    async def ack(command_id: str, body: Ack, project_id: str = Depends(project)) -> JSONResponse:
        """Record whether the agent applied a delivered command."""
        try:
            command = await run_in_threadpool(
                control.ack, project_id, command_id, CommandState(body.state), body.detail
            )
        except UnknownCommand:
            return _error(404, f"no command with id {command_id!r} in this project")
        except InvalidTransition as exc:
            return _error(409, str(exc))
        except StorageError as exc:
            return _error(503, f"the store is unavailable, retry later: {exc}")
        return JSONResponse(command_json(command))

    return router
