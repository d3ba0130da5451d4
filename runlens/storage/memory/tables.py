"""What the memory store holds (`MemoryTables`), shared by its roles (writes.py, reads.py,
commands_and_keys.py): per run, the current version of each span and log record with the commit
sequence that stored it; run summaries; control commands; API keys; metric points."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from runlens.semconv.metrics import MetricPoint
from runlens.semconv.records import LogRecord, SpanRecord
from runlens.storage.commands import ControlCommand
from runlens.storage.contract import LogKey, RetryableStorageError, RunKey, RunSummary
from runlens.storage.keys import ApiKeyRecord
from runlens.storage.memory.summaries import StoredSummary


@dataclass(slots=True)
class RunRecords:
    """What the store holds of one run: current versions with the sequence that stored them."""

    spans: dict[str, tuple[SpanRecord, int]] = field(default_factory=dict)
    logs: dict[LogKey, tuple[LogRecord, int]] = field(default_factory=dict)
    newest_span_seq: int = 0  # of any span row written, current or not

    def ordered_spans(self) -> list[SpanRecord]:
        return sorted(
            (span for span, _ in self.spans.values()),
            key=lambda s: (s.start_time_unix_nano, s.span_id),
        )

    def ordered_logs(self) -> list[LogRecord]:
        return sorted(
            (log for log, _ in self.logs.values()),
            key=lambda g: (g.time_unix_nano, g.span_id, g.stream, g.seq),
        )


class MemoryTables:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._runs: dict[RunKey, RunRecords] = {}
        self._summaries: dict[RunKey, StoredSummary] = {}  # oldest refresh first
        self._known: set[RunKey] = set()  # runs refreshed at least once
        self._commands: dict[tuple[str, str, str], ControlCommand] = {}
        self._keys: dict[str, ApiKeyRecord] = {}
        self._metrics: list[tuple[str, MetricPoint]] = []
        self._last_seq = 0
        self._last_version = 0
        self._closed = False

    def close(self) -> None:
        self._closed = True

    def ping(self) -> None:
        self._open()

    def _open(self) -> None:
        if self._closed:
            raise RetryableStorageError("the store is closed")

    def _stamp(self) -> int:
        """The current time in µs, strictly increasing (sequences and versions)."""
        return max(time.time_ns() // 1000, self._last_version + 1, self._last_seq + 1)

    def _run(self, project_id: str, run_id: str) -> RunRecords:
        self._open()
        return self._runs.get(RunKey(project_id, run_id)) or RunRecords()

    def _project_summaries(self, project_id: str) -> list[RunSummary]:
        """Under the lock: the project's summaries, oldest refresh first."""
        self._open()
        return [s.summary for k, s in self._summaries.items() if k.project_id == project_id]

    def _run_commands(self, project_id: str, run_id: str) -> list[ControlCommand]:
        """Under the lock: the run's commands in `seq` order."""
        found = [c for (p, r, _), c in self._commands.items() if p == project_id and r == run_id]
        return sorted(found, key=lambda c: c.seq)
