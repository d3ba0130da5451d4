"""Agent-side control: fetch the commands runlens records for a run, apply them at safe points,
acknowledge them. Outbound HTTP only (docs/api.md, "Control"): the agent opens no port.

    client = ControlClient("http://127.0.0.1:8000")
    control = RunControl(client, run_id)
    for step in plan:
        for steering in control.checkpoint():  # before each LLM call; raises RunTerminated
            messages.append({"role": "user", "content": steering.message})
        reply = llm(messages)

Never call `checkpoint()` between a tool call the model asked for and its result: the next
LLM call must see both. `AgentControl` serves retriggers: the registered handler starts a new
run with the recorded input and marks its root span with `runlens.retrigger.of`.

Transport failures never stop the agent: `checkpoint()` and `AgentControl.poll()` log them and
carry on (the commands stay requested and are fetched at the next safe point).
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from runlens.semconv.keys import RUNLENS_RETRIGGER_OF

log = logging.getLogger(__name__)

RETRIGGER_OF = RUNLENS_RETRIGGER_OF
"""Set it on the root span of a run started by a retrigger handler, to the original run id."""

MAX_WAIT_S = 30.0
Mode = Literal["queue", "steer", "interrupt"]
_MODES: dict[str, Mode] = {"queue": "queue", "steer": "steer", "interrupt": "interrupt"}


class ControlError(Exception):
    """runlens could not be reached or refused the request."""


class RunTerminated(Exception):
    """Raised by `RunControl.checkpoint()`: stop the run now."""

    def __init__(self, reason: str, command_id: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.command_id = command_id


@dataclass(frozen=True, slots=True)
class Command:
    id: str
    run_id: str
    kind: str  # terminate, steer, retrigger
    payload: Mapping[str, Any]

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Command:
        return cls(str(value["id"]), str(value["run_id"]), str(value["kind"]), value["payload"])


@dataclass(frozen=True, slots=True)
class Steering:
    """A message for the agent. `queue`: append it as the next user message; `steer`: inject it
    now; `interrupt`: stop the current plan and take the message as the new one."""

    message: str
    mode: Mode


@dataclass(frozen=True, slots=True)
class Retrigger:
    command_id: str
    original_run_id: str
    agent_id: str
    input: str  # the original run's recorded input (its root span's), as stored


class ControlClient:
    """The `/control` endpoints of a runlens API (`api_url` like `http://127.0.0.1:8000`)."""

    def __init__(
        self,
        api_url: str,
        *,
        timeout_s: float = 10.0,
        headers: Mapping[str, str] | None = None,
        api_key: str | None = None,
    ) -> None:
        """`api_key` (default: the `RUNLENS_API_KEY` environment variable) selects the project
        when the server requires keys."""
        self._base = api_url.rstrip("/") + "/control"
        self._timeout_s = timeout_s
        key = api_key if api_key is not None else os.environ.get("RUNLENS_API_KEY")
        auth = {"authorization": f"Bearer {key}"} if key else {}
        self._headers = {"content-type": "application/json", **auth, **(headers or {})}

    def poll(self, run_id: str, wait_s: float = 0.0) -> list[Command]:
        """The run's new terminate and steer commands (runlens marks them delivered), waiting
        up to `wait_s` (at most 30 s) for one to be recorded."""
        return self._poll(f"/runs/{urllib.parse.quote(run_id, safe='')}/commands", wait_s)

    def poll_agent(self, agent_id: str, wait_s: float = 0.0) -> list[Command]:
        """New retriggers of the agent's runs (marked delivered), waiting up to `wait_s`."""
        return self._poll(f"/agents/{urllib.parse.quote(agent_id, safe='')}/commands", wait_s)

    def ack(self, command_id: str, state: Literal["applied", "failed"], detail: str = "") -> None:
        """Report the outcome of a delivered command."""
        path = f"/commands/{urllib.parse.quote(command_id, safe='')}/ack"
        self._request("POST", path, {"state": state, "detail": detail}, self._timeout_s)

    def _poll(self, path: str, wait_s: float) -> list[Command]:
        wait = min(max(wait_s, 0.0), MAX_WAIT_S)
        body = self._request("GET", f"{path}?wait={wait:g}", None, wait + self._timeout_s)
        return [Command.from_json(c) for c in body["commands"]]

    def _request(self, method: str, path: str, body: object, timeout: float) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self._base + path, data=data, method=method, headers=self._headers
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            raise ControlError(f"{method} {path}: HTTP {exc.code}: {exc.read()[:500]!r}") from exc
        except (OSError, ValueError) as exc:
            raise ControlError(f"{method} {path}: {exc}") from exc


class RunControl:
    """Applies one run's commands at the agent's safe points."""

    def __init__(self, client: ControlClient, run_id: str) -> None:
        self.client = client
        self.run_id = run_id

    def checkpoint(self, wait_s: float = 0.0) -> list[Steering]:
        """Call before each LLM call. Raises `RunTerminated` when the run was terminated (the
        command is acknowledged as applied first, pending steering as failed); otherwise
        returns the new steering messages, acknowledged as applied (the agent has them)."""
        try:
            commands = self.client.poll(self.run_id, wait_s)
        except ControlError as exc:
            log.warning("control: could not fetch commands of run %s: %s", self.run_id, exc)
            return []
        terminate = next((c for c in commands if c.kind == "terminate"), None)
        steering: list[Steering] = []
        for command in commands:
            if command.kind != "steer":
                continue
            if terminate is not None:
                _ack(self.client, command, "failed", "run terminated")
                continue
            mode = _MODES.get(str(command.payload.get("mode", "")))
            if mode is None:
                _ack(self.client, command, "failed", "unknown steering mode")
                continue
            steering.append(Steering(str(command.payload.get("message", "")), mode))
            _ack(self.client, command, "applied", f"{mode} message handed to the agent")
        if terminate is not None:
            reason = str(terminate.payload.get("reason", ""))
            _ack(self.client, terminate, "applied", "stopped at a checkpoint")
            raise RunTerminated(reason, terminate.id)
        return steering


RetriggerHandler = Callable[[Retrigger], str]
"""Starts a new run for a retrigger and returns its run id."""


class AgentControl:
    """Serves the retriggers of one agent's runs with the handler the agent registers."""

    def __init__(self, client: ControlClient, agent_id: str) -> None:
        self.client = client
        self.agent_id = agent_id
        self._handler: RetriggerHandler | None = None

    def on_retrigger(self, handler: RetriggerHandler) -> RetriggerHandler:
        """Register the handler (usable as a decorator)."""
        self._handler = handler
        return handler

    def poll(self, wait_s: float = 0.0) -> int:
        """Fetch new retriggers and run the handler for each (acknowledged applied with the new
        run id, or failed with the handler's error); return how many were handled."""
        if self._handler is None:
            raise RuntimeError("register a handler with on_retrigger() before polling")
        try:
            commands = self.client.poll_agent(self.agent_id, wait_s)
        except ControlError as exc:
            log.warning("control: could not fetch retriggers of %s: %s", self.agent_id, exc)
            return 0
        for command in commands:
            retrigger = Retrigger(
                command.id,
                command.run_id,
                str(command.payload.get("agent_id", self.agent_id)),
                str(command.payload.get("input", "")),
            )
            try:
                new_run_id = self._handler(retrigger)
            except Exception as exc:
                _ack(self.client, command, "failed", f"{type(exc).__name__}: {exc}")
                continue
            _ack(self.client, command, "applied", new_run_id)
        return len(commands)


def _ack(
    client: ControlClient, command: Command, state: Literal["applied", "failed"], detail: str
) -> None:
    try:
        client.ack(command.id, state, detail)
    except ControlError as exc:
        log.warning("control: could not acknowledge command %s: %s", command.id, exc)
