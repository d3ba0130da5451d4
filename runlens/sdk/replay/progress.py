"""Progress of a replay, one JSON object per decision.

Written as lines to `RUNLENS_REPLAY_PROGRESS_FD` when set (`runlens replay` reads them and
prints progress), and logged on the `runlens.sdk.replay` logger.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from enum import StrEnum

log = logging.getLogger("runlens.sdk.replay")


class Step(StrEnum):
    SERVED = "served"  # answered from the recording
    LIVE = "live"  # executed for real (never-replay, not servable, or after a divergence)
    DRIFT = "drift"  # lenient: served although out of order or with another input
    DIVERGED = "diverged"  # did not match the recording


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    step: Step
    channel: str
    name: str
    detail: str = ""

    def line(self) -> str:
        return json.dumps(asdict(self)) + "\n"

    @classmethod
    def parse(cls, line: str) -> ProgressEvent:
        value = json.loads(line)
        return cls(Step(value["step"]), value["channel"], value["name"], value.get("detail", ""))


class ProgressSink:
    def __init__(self, fd: int | None) -> None:
        self._fd = fd

    def emit(self, event: ProgressEvent) -> None:
        log.info("replay %s %s %s %s", event.step, event.channel, event.name, event.detail)
        if self._fd is None:
            return
        try:
            os.write(self._fd, event.line().encode())
        except OSError as exc:  # the reader went away: keep replaying, stop reporting
            log.warning("replay progress could not be written: %s", exc)
            self._fd = None
