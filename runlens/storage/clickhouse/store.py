"""`ClickHouseStore`: every role of runlens' storage contract over ClickHouse or chDB.

The store is assembled from one class per role, each in its own module over the shared
connections (connections.py): writer.py (`SpanWriter`, `SummaryWriter`, `MetricWriter`),
run_reads.py (`RunReader` less the timelines, `RegistryReader`), event_reads.py (timelines and
actions of `RunReader`, `EventReader` less the activity ledger),
follow_reads.py (`WriteLog`, `ProgressLog`: what every writer stored, by sequence),
command_store.py (`CommandStore`) and key_store.py (`KeyStore`). The SQL lives in queries.py and
the modules named for what they read (registry.py, timeline.py, commands.py, keys.py).
"""

from __future__ import annotations

from runlens.storage.clickhouse.command_store import CommandRecords
from runlens.storage.clickhouse.connections import ClientFactory, chdb_path, client_factory
from runlens.storage.clickhouse.event_reads import EventReads
from runlens.storage.clickhouse.follow_reads import FollowReads
from runlens.storage.clickhouse.key_store import KeyRecords
from runlens.storage.clickhouse.migrate import migrate
from runlens.storage.clickhouse.run_reads import RunReads
from runlens.storage.clickhouse.writer import StoreWriter


class ClickHouseStore(StoreWriter, RunReads, EventReads, FollowReads, CommandRecords, KeyRecords):
    """Spans, logs and run summaries in the `runlens` database (docs/schema.md).

    Any number of writers, in this process or others, may write the same run; reads may come
    from any thread.
    """

    @classmethod
    def open(cls, dsn: str, retention_days: int = 90) -> ClickHouseStore:
        """Connect, bring the schema up to date and return the store."""
        store = cls(dsn)
        try:
            migrate(store._client(), retention_days=retention_days)
        except BaseException:
            store.close()
            raise
        return store


__all__ = ["ClickHouseStore", "ClientFactory", "chdb_path", "client_factory"]
