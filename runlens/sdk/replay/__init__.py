"""Replay mode: the agent's own code runs with LLM and tool calls answered from a recorded run.

    from runlens.sdk import replay

    replay.install(tracer_provider)   # the SDK's spans; in a replay, the replay run's identity

    @replay.action                    # a tool call: recorded, and served in a replay
    def search(query: str) -> list[str]: ...

The OpenAI client: `runlens.sdk.replay.openai_transport.ReplayTransport`; pydantic-ai:
`runlens.sdk.replay.pydantic_ai_model.ReplayModel` (these import httpx / pydantic-ai, from
the `replay` extra). A replay is configured by `RUNLENS_REPLAY_*` variables (`config`), which
`runlens replay` sets, or in code with `activate(ReplaySession.start(ReplayConfig(...)))`.
docs/replay.md explains policies and what cannot be served.
"""

from runlens.sdk.replay.actions import action
from runlens.sdk.replay.api_client import RunlensUnreachable
from runlens.sdk.replay.config import OnDivergence, Policy, ReplayConfig
from runlens.sdk.replay.recording import ReplayUnavailable
from runlens.sdk.replay.session import (
    ReplayDivergence,
    ReplaySession,
    SideEffects,
    activate,
    current,
)
from runlens.sdk.replay.tracing import install

__all__ = [
    "OnDivergence",
    "Policy",
    "ReplayConfig",
    "ReplayDivergence",
    "ReplaySession",
    "ReplayUnavailable",
    "RunlensUnreachable",
    "SideEffects",
    "action",
    "activate",
    "current",
    "install",
]
