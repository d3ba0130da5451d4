"""What the SQL door (`runlens sql`, `/clickhouse`) may expect of a store: read-only SQL over
the `runlens` database, answered in a ClickHouse output format."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class SqlError(Exception):
    """The query was refused or failed: a ClickHouse error `code` and a plain `message`."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class SqlReader(Protocol):
    def run_sql(self, sql: str, fmt: str, params: Mapping[str, str]) -> bytes:
        """The result of one read-only statement in format `fmt` (a FORMAT clause in `sql`
        wins), with `{name:Type}` placeholders bound from `params`. Raises `SqlError` for a
        refused or failing query, `StorageError` when the store cannot be reached."""
        ...
