"""The ClickHouse / chDB backend of runlens' storage contract (docs/schema.md)."""

from runlens.storage.clickhouse.store import ClickHouseStore

__all__ = ["ClickHouseStore"]
