"""`runlens sql 'SELECT …'`: read-only SQL over the `runlens` database (docs/schema.md).

While a `runlens serve` holds the embedded store the statement goes through that server's SQL
door (`/clickhouse`, with the admin token of runlens/local_admin.py); without one it opens the
store named by `--clickhouse-url` / `RUNLENS_CLICKHOUSE_URL` itself, read-only as well.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from runlens.local_admin import AdminRefused, AdminUnreachable, call, find
from runlens.settings import Settings
from runlens.storage.clickhouse.errors import engine_message
from runlens.storage.clickhouse.sql_door import ReadOnlySql
from runlens.storage.clickhouse.store import chdb_path
from runlens.storage.contract import StorageError
from runlens.storage.sql import SqlError

FORMATS = {"table": "JSONCompact", "csv": "CSVWithNames", "json": "JSONEachRow"}
_CELL_MAX = 80


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", help="one SELECT, DESCRIBE or SHOW statement")
    parser.add_argument(
        "--format",
        choices=tuple(FORMATS),
        default="table",
        help="table (aligned columns), csv (with a header) or json (one object per row)",
    )
    parser.add_argument(
        "--clickhouse-url",
        default=None,
        help="store to query [env RUNLENS_CLICKHOUSE_URL, default chdb://./runlens-data]",
    )


def main(args: argparse.Namespace) -> int:
    url = args.clickhouse_url or Settings().clickhouse_url
    fmt = FORMATS[args.format]
    try:
        result = _query(url, args.query, fmt)
    except SqlError as exc:
        print(f"runlens sql: {exc.message}", file=sys.stderr)
        return 1
    except StorageError as exc:
        print(f"runlens sql: cannot query the store at {url}: {exc}", file=sys.stderr)
        return 1
    if args.format == "table":
        print(render_table(json.loads(result)))
    else:
        sys.stdout.write(result.decode("utf-8", "replace"))
    return 0


def _query(url: str, query: str, fmt: str) -> bytes:
    path = chdb_path(url)
    door = find(path) if path is not None else None
    if door is not None:
        try:
            return call(
                door, "POST", "/clickhouse/", query={"default_format": fmt}, body=query.encode()
            )
        except AdminUnreachable:
            pass  # a door left by a server that was killed: open the store directly
        except AdminRefused as exc:
            raise SqlError(exc.status, engine_message(exc.message)) from None
    if path is not None and not os.path.isdir(path):
        raise StorageError(f"no runlens data in {path} (start `runlens serve` once to create it)")
    door_sql = ReadOnlySql(url)
    try:
        return door_sql.run_sql(query, fmt, {})
    finally:
        door_sql.close()


def render_table(result: dict[str, Any]) -> str:
    """A `JSONCompact` result as aligned columns, numbers to the right, and a row count."""
    names = [column["name"] for column in result["meta"]]
    numeric = [_is_number(column["type"]) for column in result["meta"]]
    rows = [[_cell(value) for value in row] for row in result["data"]]
    widths = [max([len(name)] + [len(row[i]) for row in rows]) for i, name in enumerate(names)]

    def line(cells: list[str]) -> str:
        parts = [
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(cells, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    count = len(rows)
    out = [line(names), "  ".join("-" * width for width in widths)]
    out += [line(row) for row in rows]
    out.append(f"({count} row{'' if count == 1 else 's'})")
    return "\n".join(out)


def _is_number(clickhouse_type: str) -> bool:
    inner = clickhouse_type.removeprefix("Nullable(").removeprefix("LowCardinality(")
    return inner.startswith(("Int", "UInt", "Float", "Decimal"))


def _cell(value: Any) -> str:
    if value is None:
        text = "NULL"
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False)
    text = text.replace("\n", "\\n").replace("\t", "\\t")
    return text if len(text) <= _CELL_MAX else text[: _CELL_MAX - 1] + "…"
