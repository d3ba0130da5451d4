"""Failures become retryable or permanent storage errors, in one place."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from clickhouse_connect.driver import exceptions as ch

from runlens.storage.clickhouse.errors import DataPathLockedError, classify
from runlens.storage.clickhouse.store import ClickHouseStore, chdb_path
from runlens.storage.contract import PermanentStorageError, RetryableStorageError


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (ch.DatabaseError("Code: 252. Too many parts (300)", code=252), RetryableStorageError),
        (ch.DatabaseError("Code: 241. Memory limit exceeded", code=241), RetryableStorageError),
        (ch.DatabaseError("Code: 159. Timeout exceeded", code=159), RetryableStorageError),
        (ch.OperationalError("connection refused"), RetryableStorageError),
        (ConnectionRefusedError("refused"), RetryableStorageError),
        (TimeoutError("timed out"), RetryableStorageError),
        (ch.DatabaseError("Code: 53. Type mismatch", code=53), PermanentStorageError),
        (ch.DatabaseError("Code: 16. No such column", code=16), PermanentStorageError),
        (
            ch.DatabaseError("Code: 252. Too many partitions for single INSERT block", code=252),
            PermanentStorageError,
        ),
        (OverflowError("can't convert negative int to unsigned"), PermanentStorageError),
        (ValueError("bad"), PermanentStorageError),
    ],
)
def test_classify(exc: Exception, expected: type[Exception]) -> None:
    assert type(classify(exc)) is expected


def test_an_unreachable_server_is_a_retryable_error() -> None:
    with pytest.raises(RetryableStorageError):
        ClickHouseStore.open("http://default:@127.0.0.1:9/runlens")


def test_chdb_dsn_paths() -> None:
    assert chdb_path("chdb:///var/lib/runlens") == "/var/lib/runlens"
    assert chdb_path("chdb://./data") == os.path.realpath("data")
    assert chdb_path("chdb://data?x=1") == os.path.realpath("data")
    assert chdb_path("http://localhost:8123") is None


def test_a_second_process_on_the_same_path_gets_a_clear_error(
    store: ClickHouseStore, chdb_dsn: str
) -> None:
    store.ping()  # this process holds the path
    path = chdb_path(chdb_dsn)
    if path is None:
        pytest.skip("the session database is a ClickHouse server, not an embedded path")
    code = textwrap.dedent(
        f"""
        from runlens.storage.clickhouse.store import ClickHouseStore
        try:
            ClickHouseStore.open({chdb_dsn!r})
        except Exception as exc:
            print(type(exc).__name__, exc)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )

    assert done.stdout.startswith(DataPathLockedError.__name__)
    assert f"another runlens process holds {path}" in done.stdout
