"""Apply the DDL files of `schema/` that a database has not seen yet, in order.

Each file `NNN_name.sql` is one migration, version NNN. Applied versions are recorded in
`runlens.schema_migrations`; a file is recorded only after all of its statements ran, and every
statement is written to be re-runnable (`IF NOT EXISTS`), so a migration interrupted half-way
is simply applied again. `{retention_days}` in a file is replaced by the configured retention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from clickhouse_connect.driver.client import Client

from runlens.storage.clickhouse.errors import translated

DATABASE = "runlens"

_BOOTSTRAP = (
    f"CREATE DATABASE IF NOT EXISTS {DATABASE}",
    f"""CREATE TABLE IF NOT EXISTS {DATABASE}.schema_migrations
    (
        version     UInt32,
        name        String,
        applied_at  DateTime64(3, 'UTC') DEFAULT now64(3)
    )
    ENGINE = ReplacingMergeTree(applied_at)
    ORDER BY version""",
)

_FILE_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
_COMMENT = re.compile(r"--[^\n]*")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    def statements(self, retention_days: int) -> list[str]:
        text = _COMMENT.sub("", self.sql).replace("{retention_days}", str(retention_days))
        return [part.strip() for part in text.split(";") if part.strip()]


def migrations() -> list[Migration]:
    """The migrations shipped with this package, in version order."""
    found: list[Migration] = []
    for entry in resources.files("runlens.storage.clickhouse").joinpath("schema").iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions in schema/: {versions}")
    return found


def applied_versions(client: Client) -> set[int]:
    with translated():
        rows = client.query(f"SELECT version FROM {DATABASE}.schema_migrations FINAL").result_rows
    return {int(row[0]) for row in rows}


def migrate(client: Client, retention_days: int = 90) -> list[int]:
    """Bring the database up to date; return the versions applied by this call."""
    if isinstance(retention_days, bool) or not isinstance(retention_days, int):
        raise TypeError("retention_days must be an int")
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1")
    with translated():
        for statement in _BOOTSTRAP:
            client.command(statement)
    done = applied_versions(client)
    applied: list[int] = []
    for migration in migrations():
        if migration.version in done:
            continue
        with translated():
            for statement in migration.statements(retention_days):
                client.command(statement)
            client.command(
                f"INSERT INTO {DATABASE}.schema_migrations (version, name) "
                "VALUES ({version:UInt32}, {name:String})",
                parameters={"version": migration.version, "name": migration.name},
            )
        applied.append(migration.version)
    return applied
