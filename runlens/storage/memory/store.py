"""`MemoryStore`: every role of the storage contract, held in this process and lost with it.

It keeps what a ClickHouse store keeps and reads it the same way: one current version per
span (an ended span over its start marker, else the latest stored), per log record
(`log_key`), per control command and per API key; every write a commit sequence; run
summaries recomputed by `refresh_runs` only, with the counting rules of `semconv.counting`.
For tests and tools that want a store without a database; the conformance suite
(tests/storage/conformance) holds it to the ClickHouse store's behaviour.

Its roles live in writes.py, reads.py and commands_and_keys.py, over the tables of tables.py.
"""

from __future__ import annotations

from runlens.storage.memory.commands_and_keys import MemoryCommandsAndKeys
from runlens.storage.memory.reads import MemoryReads
from runlens.storage.memory.writes import MemoryWrites


class MemoryStore(MemoryWrites, MemoryReads, MemoryCommandsAndKeys):
    """Thread-safe: one lock around every call."""
