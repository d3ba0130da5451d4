"""What a stopped runlens left in its data directory: stored spans and their size on disk.

`inspect_store` runs in a spawned child process, because chDB holds one data path per process
and the benchmark's own process must stay free of chDB (it spawns the other processes).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


@dataclass(frozen=True, slots=True)
class StoreFigures:
    spans_stored: int  # SELECT count() FROM runlens.spans FINAL
    rows_in_parts: int  # before deduplication
    parts: int
    bytes_on_disk: int  # active parts of runlens.spans
    uncompressed_bytes: int
    directory_bytes: int  # `du` of the data directory, incl. merged-away parts not yet removed
    largest_columns: tuple[tuple[str, int], ...]  # compressed bytes, largest first
    bytes_on_disk_merged: int | None  # after OPTIMIZE TABLE ... FINAL, when asked


def inspect_store(data_dir: str, merge: bool) -> StoreFigures:
    import clickhouse_connect

    client = clickhouse_connect.get_client(dsn=f"chdb://{data_dir}")
    try:
        stored = int(client.query("SELECT count() FROM runlens.spans FINAL").result_rows[0][0])
        rows, parts, on_disk, uncompressed = _parts(client)
        columns = client.query(
            "SELECT name, sum(data_compressed_bytes) AS b FROM system.columns "
            "WHERE database = 'runlens' AND table = 'spans' GROUP BY name ORDER BY b DESC LIMIT 6"
        ).result_rows
        directory = _du(Path(data_dir))
        merged = None
        if merge:
            client.command("OPTIMIZE TABLE runlens.spans FINAL")
            merged = _parts(client)[2]
    finally:
        client.close()
    return StoreFigures(
        stored,
        rows,
        parts,
        on_disk,
        uncompressed,
        directory,
        tuple((str(name), int(size)) for name, size in columns),
        merged,
    )


def _parts(client: Client) -> tuple[int, int, int, int]:
    row = client.query(
        "SELECT sum(rows), count(), sum(bytes_on_disk), sum(data_uncompressed_bytes) "
        "FROM system.parts WHERE database = 'runlens' AND table = 'spans' AND active"
    ).result_rows[0]
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def _du(root: Path) -> int:
    total = 0
    for directory, _, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(directory, name)).st_blocks * 512
            except OSError:
                continue
    return total
