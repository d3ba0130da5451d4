"""The recorded run a replay serves from, read over the runlens GraphQL API.

Two channels are served: LLM calls (every `llm_call` of the run) and actions (the tool spans
the `@action` decorator recorded: they carry `runlens.replay.policy`). Other tool spans, e.g.
a framework's own tool spans around an action, are neither served nor expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from runlens.analysis.replay.canonical import canonical
from runlens.analysis.replay.simulate import REPLAY_POLICY
from runlens.sdk.replay.api_client import GraphQLClient, GraphQLFailure

PAGE_SIZE = 200

_RUN_QUERY = """
query ReplayRecording($id: ID!, $first: Int!, $after: String) {
  run(id: $id) {
    status
    events(kinds: [LLM_CALL, TOOL_EXECUTION], first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node {
        spanId kind name input output attributes
        ... on LlmCall { model }
      } }
    }
  }
}
"""

_SIMULATION_QUERY = """
query ReplayServable($id: ID!) {
  simulateReplay(runId: $id) {
    available message
    actions { action { spanId } served reason }
  }
}
"""


class ReplayUnavailable(Exception):
    """The run cannot be replayed: unknown, still running, or nothing recorded to serve."""


class Channel(StrEnum):
    LLM = "llm"
    ACTION = "action"


@dataclass(frozen=True, slots=True)
class RecordedAction:
    index: int  # position among the served channels' actions, from 0
    span_id: str
    channel: Channel
    name: str
    input: Any  # JSON value
    output: Any  # JSON value
    model: str
    attributes: Mapping[str, str]
    servable: bool  # simulateReplay would serve it
    reason: str  # simulateReplay's reason (SERVED, MISSING_OUTPUT, TRUNCATED, …)

    @property
    def canonical_input(self) -> str:
        return canonical(self.input)


@dataclass(frozen=True, slots=True)
class Recording:
    run_id: str
    actions: tuple[RecordedAction, ...]


def channel_of(kind: str, attributes: Mapping[str, str]) -> Channel | None:
    if kind == "LLM_CALL":
        return Channel.LLM
    if kind == "TOOL_EXECUTION" and REPLAY_POLICY in attributes:
        return Channel.ACTION
    return None


def fetch_recording(client: GraphQLClient, run_id: str) -> Recording:
    """The run's served-channel actions in start order, with what `simulateReplay` says about
    each. `ReplayUnavailable` when the run is unknown, running or stored no output."""
    try:
        simulation = client.query(_SIMULATION_QUERY, id=run_id)["simulateReplay"]
    except GraphQLFailure as exc:
        if exc.code == "NOT_FOUND":
            raise ReplayUnavailable(f"no run {run_id!r} at {client.api_url}") from exc
        raise
    if not simulation["available"]:
        raise ReplayUnavailable(f"run {run_id} cannot be replayed: {simulation['message']}")
    verdicts = {a["action"]["spanId"]: (a["served"], a["reason"]) for a in simulation["actions"]}
    nodes: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        run = client.query(_RUN_QUERY, id=run_id, first=PAGE_SIZE, after=after)["run"]
        events = run["events"]
        nodes += [edge["node"] for edge in events["edges"]]
        if not events["pageInfo"]["hasNextPage"]:
            break
        after = events["pageInfo"]["endCursor"]
    actions: list[RecordedAction] = []
    for node in nodes:
        attributes = node.get("attributes") or {}
        channel = channel_of(node["kind"], attributes)
        if channel is None:
            continue
        served, reason = verdicts.get(node["spanId"], (False, "MISSING_OUTPUT"))
        actions.append(
            RecordedAction(
                index=len(actions),
                span_id=node["spanId"],
                channel=channel,
                name=node["name"],
                input=node.get("input"),
                output=node.get("output"),
                model=node.get("model") or "",
                attributes=attributes,
                servable=bool(served),
                reason=str(reason),
            )
        )
    return Recording(run_id, tuple(actions))
