"""The `KeyStore` role of `ClickHouseStore` (SQL in keys.py)."""

from __future__ import annotations

from runlens.storage.clickhouse import keys
from runlens.storage.clickhouse.connections import StoreConnections
from runlens.storage.clickhouse.errors import translated
from runlens.storage.keys import ApiKeyRecord


class KeyRecords(StoreConnections):
    def save_key(self, key: ApiKeyRecord) -> None:
        with translated():
            params = keys.insert_params(key, self._next_version())
            self._client().command(keys.INSERT_KEY, parameters=params)

    def find_key(self, key_id: str) -> ApiKeyRecord | None:
        # The one read not scoped to a project: it is what tells the project of a request.
        rows = self._rows(keys.FIND_KEY, {"key_id": key_id})
        return keys.key_from_row(rows[0]) if rows else None

    def list_keys(self, project_id: str | None = None) -> list[ApiKeyRecord]:
        params = {"all": project_id is None, "project_id": project_id or ""}
        return [keys.key_from_row(row) for row in self._rows(keys.LIST_KEYS, params)]
