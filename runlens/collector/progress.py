"""How far this process's ingest has stored, reported to the store for the API processes that
follow it (runlens/follower.py): at start, before the first write (`ProgressLog.register_writer`),
then every `interval_s` (also when idle, so that followers never wait on an idle collector),
and once more, retired, when ingest has stopped."""

from __future__ import annotations

import logging
import threading
import uuid

from runlens.collector.pipeline import IngestPipeline
from runlens.storage.contract import StorageError
from runlens.storage.follow import ProgressLog

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 0.2


class ProgressReporter:
    def __init__(
        self, store: ProgressLog, pipeline: IngestPipeline, interval_s: float = DEFAULT_INTERVAL_S
    ) -> None:
        self.writer_id = uuid.uuid4().hex
        self._store = store
        self._pipeline = pipeline
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="runlens-progress", daemon=True)

    def register(self) -> None:
        """Before the pipeline's first write (raises `StorageError` when the store fails)."""
        self._store.register_writer(self.writer_id)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self._store.report_progress(self.writer_id, self._pipeline.stored_through())
            except StorageError:
                log.warning("reporting the ingest progress failed; will retry", exc_info=True)

    def stop(self) -> None:
        """Once the pipeline has stopped: the last report."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)
        try:
            seq = self._pipeline.stored_through()
            self._store.report_progress(self.writer_id, seq, retired=True)
        except StorageError:
            log.warning("reporting the end of ingest failed", exc_info=True)
