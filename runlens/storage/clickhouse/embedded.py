"""Memory tuning of a process that embeds ClickHouse through chDB (docs/schema.md, Memory).

chDB links its own jemalloc, which reads its options from the `JE_MALLOC_CONF` environment
variable (not `MALLOC_CONF`) once, when the library allocates for the first time; so
`tune_embedded_process()` must run before the first `chdb.connect()` (runlens only imports
chDB when the store opens).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

CHDB_MALLOC_CONF = "dirty_decay_ms:1000"
"""jemalloc options for chDB's allocator. chDB's built-in default keeps freed pages for 5 s
(`dirty_decay_ms:5000`) before giving them back to the OS, so during a steady ingest the pages
freed by one insert or merge stayed resident under the next. Returning them at once (0) cut the
200k-span ingest peak from 714 to 614 MB but made every query fault its memory in again: on the
10M-span benchmark a run lookup took 19 ms instead of 11, a light timeline 48 ms instead of 28.
1 s keeps what one query frees for the next and returns what a merge freed soon after. An
operator's own `JE_MALLOC_CONF` wins."""


def tune_embedded_process() -> None:
    """Set chDB's jemalloc options and give Arrow the system allocator; call before chDB loads.

    Arrow's default allocator in the pyarrow wheels (mimalloc) kept ~70 MB resident for a peak
    of ~15 MB of Arrow buffers under ingest; the system allocator returns them to the C heap,
    which Python and gRPC reuse. `ARROW_DEFAULT_MEMORY_POOL` set by an operator wins.
    """
    os.environ.setdefault("JE_MALLOC_CONF", CHDB_MALLOC_CONF)
    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        pa.set_memory_pool(pa.system_memory_pool())


_engine_started = threading.Event()


@contextmanager
def engine_stderr(captured: list[str]) -> Iterator[None]:
    """Run the block (a chDB connect) with file descriptor 2 sent to a temporary file until the
    engine has started once in this process; append what the engine wrote to `captured`.

    chDB's engine prints its start failures itself on fd 2 (e.g. `Code: 76. DB::Exception:
    Cannot lock file .../status. Another server instance in same directory is already
    running.`) and raises a Python error whose message is empty, so a CLI would show a raw
    engine line before its own message. Captured, the text explains the failure instead. After
    a successful start what the engine wrote goes back to stderr, and later connects (other
    threads' clients, when logging may be writing to fd 2) are left alone.
    """
    if _engine_started.is_set():
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        started = False
        try:
            yield
            started = True
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text = sink.read().decode("utf-8", "replace").strip()
            if started:
                _engine_started.set()
                if text:
                    print(text, file=sys.stderr)
            elif text:
                captured.append(text)


__all__ = ["CHDB_MALLOC_CONF", "engine_stderr", "tune_embedded_process"]
