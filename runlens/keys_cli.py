"""`runlens keys create|list|revoke`: manage API keys.

Keys live in ClickHouse (`runlens.api_keys`, docs/schema.md). While a `runlens serve` holds the
embedded store (chDB admits one process per data directory) these commands go through that
server's admin endpoints (runlens/local_admin.py); without one they open the store named by
`--clickhouse-url` / `RUNLENS_CLICKHOUSE_URL` themselves (a ClickHouse server is always opened
directly: it is shared). A key created works at once; a revocation through the running server
at once, otherwise within `RUNLENS_KEY_CACHE_S` seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Protocol

from runlens.auth.key_admin import (
    InvalidProject,
    Revocation,
    create_key,
    from_json,
    key_id_of,
    revoke_key,
)
from runlens.local_admin import AdminDoor, AdminRefused, AdminUnreachable, call, find
from runlens.settings import Settings
from runlens.storage.clickhouse.store import ClickHouseStore, chdb_path
from runlens.storage.contract import StorageError
from runlens.storage.keys import ApiKeyRecord


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--clickhouse-url",
        default=None,
        help="store holding the keys [env RUNLENS_CLICKHOUSE_URL, default chdb://./runlens-data]",
    )
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a key for a project (shown once)")
    create.add_argument("--project", required=True, help="project the key writes and reads")
    create.add_argument("--name", default="", help="a label to recognise the key by")
    listing = actions.add_parser("list", help="list keys (never their secrets)")
    listing.add_argument("--project", default=None, help="only this project's keys")
    revoke = actions.add_parser("revoke", help="revoke a key: it stops working at once")
    revoke.add_argument("key", help="the key id (12 hex characters) or the whole key")


class _Keys(Protocol):
    def create(self, project: str, name: str) -> tuple[ApiKeyRecord, str]: ...
    def list(self, project: str | None) -> list[ApiKeyRecord]: ...
    def revoke(self, key: str) -> Revocation: ...


class _StoreKeys:
    def __init__(self, store: ClickHouseStore) -> None:
        self._store = store

    def create(self, project: str, name: str) -> tuple[ApiKeyRecord, str]:
        return create_key(self._store, project, name)

    def list(self, project: str | None) -> list[ApiKeyRecord]:
        return self._store.list_keys(project)

    def revoke(self, key: str) -> Revocation:
        return revoke_key(self._store, key)


class _ServerKeys:
    """The same operations through a running server's `/admin/keys`."""

    def __init__(self, door: AdminDoor) -> None:
        self._door = door

    def create(self, project: str, name: str) -> tuple[ApiKeyRecord, str]:
        try:
            body = json.loads(
                call(self._door, "POST", "/admin/keys", body={"project": project, "name": name})
            )
        except AdminRefused as exc:
            if exc.status == 400:
                raise InvalidProject(exc.message) from None
            raise
        return from_json(body["key"]), str(body["secret"])

    def list(self, project: str | None) -> list[ApiKeyRecord]:
        query = {"project": project} if project else None
        body = json.loads(call(self._door, "GET", "/admin/keys", query=query))
        return [from_json(key) for key in body["keys"]]

    def revoke(self, key: str) -> Revocation:
        body = json.loads(call(self._door, "POST", "/admin/keys/revoke", body={"key": key}))
        found = body["key"]
        return Revocation(None if found is None else from_json(found), body["already_revoked"])


def main(args: argparse.Namespace) -> int:
    url = args.clickhouse_url or Settings().clickhouse_url
    path = chdb_path(url)
    door = find(path) if path is not None else None
    if door is not None:
        try:
            return _run(_ServerKeys(door), args)
        except AdminUnreachable:
            pass  # a door left by a server that was killed: open the store directly
        except AdminRefused as exc:
            print(f"runlens keys: the running server refused: {exc.message}", file=sys.stderr)
            return 1
    try:
        store = ClickHouseStore.open(url)
    except (StorageError, RuntimeError) as exc:
        print(f"runlens keys: cannot open the store at {url}: {exc}", file=sys.stderr)
        return 1
    try:
        return _run(_StoreKeys(store), args)
    except StorageError as exc:
        print(f"runlens keys: the store failed: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()


def _run(keys: _Keys, args: argparse.Namespace) -> int:
    if args.action == "create":
        return _create(keys, args.project, args.name)
    if args.action == "list":
        return _list(keys, args.project)
    return _revoke(keys, args.key)


def _create(keys: _Keys, project: str, name: str) -> int:
    try:
        record, text = keys.create(project, name)
    except InvalidProject as exc:
        print(f"runlens keys: {exc}", file=sys.stderr)
        return 2
    print(
        f"created key {record.key_id} for project {project!r}. It is shown only this once:\n\n"
        f"  {text}\n\n"
        "Send it as `authorization: Bearer <key>` or `x-runlens-api-key: <key>`, e.g. for "
        "OpenTelemetry exporters:\n"
        f"  OTEL_EXPORTER_OTLP_HEADERS=x-runlens-api-key={text}"
    )
    return 0


def _list(keys: _Keys, project: str | None) -> int:
    found = keys.list(project)
    if not found:
        print("no keys" + (f" for project {project!r}" if project else ""))
        return 0
    print(f"{'KEY ID':<14}{'PROJECT':<24}{'CREATED (UTC)':<22}{'STATE':<10}NAME")
    for key in found:
        print(
            f"{key.key_id:<14}{key.project_id:<24}{_when(key.created_at_us):<22}"
            f"{_state(key):<10}{key.name}"
        )
    return 0


def _revoke(keys: _Keys, key: str) -> int:
    outcome = keys.revoke(key)
    if outcome.key is None:
        print(f"runlens keys: no key with id {key_id_of(key)!r}", file=sys.stderr)
        return 1
    found = outcome.key
    if outcome.already_revoked:
        print(f"key {found.key_id} was already revoked on {_when(found.revoked_at_us or 0)} UTC")
        return 0
    print(f"revoked key {found.key_id} of project {found.project_id!r}")
    return 0


def _when(us: int) -> str:
    return datetime.fromtimestamp(us / 1e6, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _state(key: ApiKeyRecord) -> str:
    return "revoked" if key.revoked else "active"
