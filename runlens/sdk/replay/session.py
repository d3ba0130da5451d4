"""The replay engine: decides, action by action, whether to serve from the recording.

Strict: the next unserved recorded action must have the same channel, name and canonical
input; anything else is a divergence. Lenient: the first unserved recorded action with the
same channel and name is served, and being out of order or having another input is reported
as drift; only a missing action is a divergence. On a divergence the session raises
`ReplayDivergence` (`stop`) or runs the action live (`live`; strict: every later one too).

Side effects of an action: `never_replay` actions are always re-executed (their recorded
entry is still consumed, so the order holds), `always_replay` actions are served even when
their input differs or their recording was truncated.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum

from runlens.sdk.replay.api_client import GraphQLClient
from runlens.sdk.replay.config import OnDivergence, Policy, ReplayConfig
from runlens.sdk.replay.progress import ProgressEvent, ProgressSink, Step
from runlens.sdk.replay.recording import Channel, RecordedAction, Recording, fetch_recording


class SideEffects(StrEnum):
    NONE = "none"  # pure: served from the recording in a replay
    NEVER_REPLAY = "never_replay"  # payments, e-mails, writes: re-executed in a replay
    ALWAYS_REPLAY = "always_replay"  # served whatever the input (and even when truncated)


class ReplayDivergence(Exception):
    """The agent did something the recording does not hold (policy `stop`)."""

    def __init__(self, channel: str, name: str, detail: str) -> None:
        super().__init__(f"replay diverged at {channel} {name!r}: {detail}")
        self.channel = channel
        self.name = name
        self.detail = detail


@dataclass(slots=True)
class Counts:
    served: int = 0
    live: int = 0
    drift: int = 0
    diverged: int = 0


class ReplaySession:
    def __init__(self, config: ReplayConfig, recording: Recording) -> None:
        self.config = config
        self.recording = recording
        self.counts = Counts()
        self._consumed = [False] * len(recording.actions)
        self._live = False
        self._lock = threading.Lock()
        self._progress = ProgressSink(config.progress_fd)

    @classmethod
    def start(cls, config: ReplayConfig) -> ReplaySession:
        """Fetch the recording (`ReplayUnavailable`, `RunlensUnreachable` when impossible)."""
        client = GraphQLClient(config.api_url, config.api_key)
        return cls(config, fetch_recording(client, config.original_run_id))

    @property
    def original_run_id(self) -> str:
        return self.config.original_run_id

    @property
    def run_id(self) -> str:
        return self.config.run_id

    def decide(
        self,
        channel: Channel,
        name: str,
        canonical_input: str,
        side_effects: SideEffects = SideEffects.NONE,
    ) -> RecordedAction | None:
        """The recorded action to serve, or None to run this one live."""
        with self._lock:
            if self._live:
                self._run_live(channel, name, "the replay went live at a divergence")
                return None
            entry, problem = self._find(channel, name, canonical_input)
            if entry is None:
                self._diverge(channel, name, problem)
                return None
            self._consumed[entry.index] = True
            always = side_effects is SideEffects.ALWAYS_REPLAY
            if problem and not always:
                if self.config.policy is Policy.STRICT:
                    self._diverge(channel, name, problem)
                    return None
                self.counts.drift += 1
                self._emit(Step.DRIFT, channel, name, problem)
            if side_effects is SideEffects.NEVER_REPLAY:
                self._run_live(channel, name, "never-replay action re-executed")
                return None
            if not entry.servable and not (always and entry.output is not None):
                self._run_live(channel, name, f"cannot be served ({entry.reason})")
                return None
            self.counts.served += 1
            self._emit(Step.SERVED, channel, name)
            return entry

    def _find(
        self, channel: Channel, name: str, canonical_input: str
    ) -> tuple[RecordedAction | None, str]:
        pending = [a for a in self.recording.actions if not self._consumed[a.index]]
        if self.config.policy is Policy.STRICT:
            if not pending:
                return None, "the recording holds no further action"
            entry = pending[0]
            if entry.channel is not channel or entry.name != name:
                return None, f"expected {entry.channel} {entry.name!r} next"
        else:
            found = next((a for a in pending if a.channel is channel and a.name == name), None)
            if found is None:
                return None, f"the recording holds no further {channel} {name!r}"
            entry = found
        if entry.canonical_input != canonical_input:
            return entry, "the input differs from the recording"
        if entry is not pending[0]:
            return entry, f"out of order: {pending[0].channel} {pending[0].name!r} was next"
        return entry, ""

    def _diverge(self, channel: Channel, name: str, detail: str) -> None:
        self.counts.diverged += 1
        self._emit(Step.DIVERGED, channel, name, detail)
        if self.config.on_divergence is OnDivergence.STOP:
            raise ReplayDivergence(channel, name, detail)
        if self.config.policy is Policy.STRICT:
            self._live = True
        self._run_live(channel, name, "live after the divergence")

    def _run_live(self, channel: Channel, name: str, detail: str) -> None:
        self.counts.live += 1
        self._emit(Step.LIVE, channel, name, detail)

    def _emit(self, step: Step, channel: Channel, name: str, detail: str = "") -> None:
        self._progress.emit(ProgressEvent(step, channel.value, name, detail))


@dataclass(slots=True)
class _ProcessReplay:
    session: ReplaySession | None = None
    loaded: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


_process = _ProcessReplay()


def current() -> ReplaySession | None:
    """The process's replay: the one activated, else the one the environment asks for
    (`RUNLENS_REPLAY_OF`, read and fetched once), else None (recording as usual)."""
    with _process.lock:
        if not _process.loaded:
            config = ReplayConfig.from_env()
            _process.session = ReplaySession.start(config) if config is not None else None
            _process.loaded = True
        return _process.session


@contextmanager
def activate(session: ReplaySession | None) -> Iterator[ReplaySession | None]:
    """Make `session` the process's replay (None: record) for the `with` block."""
    with _process.lock:
        previous = (_process.session, _process.loaded)
        _process.session, _process.loaded = session, True
    try:
        yield session
    finally:
        with _process.lock:
            _process.session, _process.loaded = previous
