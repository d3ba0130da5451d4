"""`runlens keys create|list|revoke`: manage API keys in the store directly.

Keys live in ClickHouse (`runlens.api_keys`, docs/schema.md), so these commands open the store
named by `--clickhouse-url` / `RUNLENS_CLICKHOUSE_URL`. A ClickHouse server can be shared with
a running runlens; the embedded store (chDB) takes one process per data directory, so stop
`runlens serve` before managing keys of an embedded store. A running server picks up a new
key at once and a revocation within `RUNLENS_KEY_CACHE_S` seconds.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime

from runlens.auth.keys import issue, parse_key
from runlens.settings import Settings
from runlens.storage.clickhouse.store import ClickHouseStore
from runlens.storage.contract import StorageError
from runlens.storage.keys import ApiKeyRecord

_PROJECT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


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


def main(args: argparse.Namespace) -> int:
    url = args.clickhouse_url or Settings().clickhouse_url
    try:
        store = ClickHouseStore.open(url)
    except (StorageError, RuntimeError) as exc:
        print(f"runlens keys: cannot open the store at {url}: {exc}", file=sys.stderr)
        return 1
    try:
        if args.action == "create":
            return _create(store, args.project, args.name)
        if args.action == "list":
            return _list(store, args.project)
        return _revoke(store, args.key)
    except StorageError as exc:
        print(f"runlens keys: the store failed: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()


def _create(store: ClickHouseStore, project: str, name: str) -> int:
    if not _PROJECT.match(project):
        print(
            f"runlens keys: invalid project name {project!r}: use 1-64 letters, digits, "
            "'.', '_' or '-', starting with a letter or digit",
            file=sys.stderr,
        )
        return 2
    record, text = issue(project, name, time.time_ns() // 1000)
    store.save_key(record)
    print(
        f"created key {record.key_id} for project {project!r}. It is shown only this once:\n\n"
        f"  {text}\n\n"
        "Send it as `authorization: Bearer <key>` or `x-runlens-api-key: <key>`, e.g. for "
        "OpenTelemetry exporters:\n"
        f"  OTEL_EXPORTER_OTLP_HEADERS=x-runlens-api-key={text}"
    )
    return 0


def _list(store: ClickHouseStore, project: str | None) -> int:
    keys = store.list_keys(project)
    if not keys:
        print("no keys" + (f" for project {project!r}" if project else ""))
        return 0
    print(f"{'KEY ID':<14}{'PROJECT':<24}{'CREATED (UTC)':<22}{'STATE':<10}NAME")
    for key in keys:
        print(
            f"{key.key_id:<14}{key.project_id:<24}{_when(key.created_at_us):<22}"
            f"{_state(key):<10}{key.name}"
        )
    return 0


def _revoke(store: ClickHouseStore, key: str) -> int:
    parsed = parse_key(key)
    key_id = parsed.key_id if parsed is not None else key.strip()
    found = store.find_key(key_id)
    if found is None:
        print(f"runlens keys: no key with id {key_id!r}", file=sys.stderr)
        return 1
    if found.revoked:
        print(f"key {key_id} was already revoked on {_when(found.revoked_at_us or 0)} UTC")
        return 0
    store.save_key(replace(found, revoked_at_us=time.time_ns() // 1000))
    print(f"revoked key {key_id} of project {found.project_id!r}")
    return 0


def _when(us: int) -> str:
    return datetime.fromtimestamp(us / 1e6, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _state(key: ApiKeyRecord) -> str:
    return "revoked" if key.revoked else "active"
