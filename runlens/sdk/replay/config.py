"""How a replay is configured: one `ReplayConfig`, read from `RUNLENS_*` variables by default.

| variable | meaning |
| --- | --- |
| `RUNLENS_REPLAY_OF` | the recorded run to replay; unset: no replay, actions run and are recorded |
| `RUNLENS_REPLAY_POLICY` | `strict` (default) or `lenient` |
| `RUNLENS_REPLAY_ON_DIVERGENCE` | `stop` (default: raise `ReplayDivergence`) or `live` |
| `RUNLENS_REPLAY_RUN_ID` | run id of the replay (default: a new random id) |
| `RUNLENS_API_URL` | the runlens API the recording is read from (`http://127.0.0.1:8000`) |
| `RUNLENS_API_KEY` | sent as `authorization: Bearer …` when set |
| `RUNLENS_REPLAY_PROGRESS_FD` | file descriptor that receives one JSON line per decision |
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

DEFAULT_API_URL = "http://127.0.0.1:8000"

ENV_REPLAY_OF = "RUNLENS_REPLAY_OF"
ENV_POLICY = "RUNLENS_REPLAY_POLICY"
ENV_ON_DIVERGENCE = "RUNLENS_REPLAY_ON_DIVERGENCE"
ENV_RUN_ID = "RUNLENS_REPLAY_RUN_ID"
ENV_API_URL = "RUNLENS_API_URL"
ENV_API_KEY = "RUNLENS_API_KEY"
ENV_PROGRESS_FD = "RUNLENS_REPLAY_PROGRESS_FD"


class Policy(StrEnum):
    STRICT = "strict"  # the next recorded action must have this name and canonical input
    LENIENT = "lenient"  # serve the next recorded action of this name, report drift


class OnDivergence(StrEnum):
    STOP = "stop"  # raise ReplayDivergence
    LIVE = "live"  # run this action (strict: and every later one) for real


def new_run_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class ReplayConfig:
    original_run_id: str
    policy: Policy = Policy.STRICT
    on_divergence: OnDivergence = OnDivergence.STOP
    api_url: str = DEFAULT_API_URL
    api_key: str | None = None
    run_id: str = field(default_factory=new_run_id)
    progress_fd: int | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReplayConfig | None:
        """The replay the environment asks for; None when `RUNLENS_REPLAY_OF` is unset."""
        values = os.environ if env is None else env
        original = values.get(ENV_REPLAY_OF, "").strip()
        if not original:
            return None
        fd = values.get(ENV_PROGRESS_FD, "").strip()
        return cls(
            original_run_id=original,
            policy=Policy(values.get(ENV_POLICY, "").strip().lower() or Policy.STRICT),
            on_divergence=OnDivergence(
                values.get(ENV_ON_DIVERGENCE, "").strip().lower() or OnDivergence.STOP
            ),
            api_url=values.get(ENV_API_URL, "").strip() or DEFAULT_API_URL,
            api_key=values.get(ENV_API_KEY, "").strip() or None,
            run_id=values.get(ENV_RUN_ID, "").strip() or new_run_id(),
            progress_fd=int(fd) if fd else None,
        )

    def environment(self) -> dict[str, str]:
        """The variables that make `from_env` return this configuration (API key excluded)."""
        env = {
            ENV_REPLAY_OF: self.original_run_id,
            ENV_POLICY: self.policy.value,
            ENV_ON_DIVERGENCE: self.on_divergence.value,
            ENV_API_URL: self.api_url,
            ENV_RUN_ID: self.run_id,
        }
        if self.progress_fd is not None:
            env[ENV_PROGRESS_FD] = str(self.progress_fd)
        return env
