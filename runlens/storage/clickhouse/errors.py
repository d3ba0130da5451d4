"""The one place where ClickHouse / chDB / Arrow failures become storage errors.

Retryable: the store is down, slow or overloaded (connection refused, timeouts, too many
parts, memory limits, replicas or Keeper unavailable). Permanent: the data or the statement
can never succeed as sent (type mismatches, bad values, unknown columns, syntax).
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa
from clickhouse_connect.driver import exceptions as ch

from runlens.storage.contract import PermanentStorageError, RetryableStorageError, StorageError

# ClickHouse error codes that mean "try again later" (src/Common/ErrorCodes.cpp).
RETRYABLE_CODES = frozenset(
    {
        159,  # TIMEOUT_EXCEEDED
        160,  # TOO_SLOW
        164,  # READONLY (server in read-only mode, e.g. lost Keeper session)
        202,  # TOO_MANY_SIMULTANEOUS_QUERIES
        203,  # NO_FREE_CONNECTION
        209,  # SOCKET_TIMEOUT
        210,  # NETWORK_ERROR
        236,  # ABORTED
        241,  # MEMORY_LIMIT_EXCEEDED
        242,  # TABLE_IS_READ_ONLY
        243,  # NOT_ENOUGH_SPACE
        252,  # TOO_MANY_PARTS
        279,  # ALL_CONNECTION_TRIES_FAILED
        285,  # TOO_FEW_LIVE_REPLICAS
        286,  # UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE
        319,  # UNKNOWN_STATUS_OF_INSERT
        394,  # QUERY_WAS_CANCELLED
        425,  # SYSTEM_ERROR
        439,  # CANNOT_SCHEDULE_TASK
        999,  # KEEPER_EXCEPTION
    }
)

# A single insert spanning too many day partitions shares code 252 with "too many parts" but
# will fail again on every retry.
_PERMANENT_MESSAGES = ("too many partitions for single insert block",)


_ENGINE_CODE = re.compile(r"\bCode: (\d+)\b")


class DataPathLockedError(RetryableStorageError):
    """Another process holds the embedded database directory (chDB allows one per path)."""


def classify(exc: BaseException) -> StorageError:
    """Map any failure of a storage call to `RetryableStorageError` or `PermanentStorageError`."""
    if isinstance(exc, StorageError):
        return exc
    message = str(exc) or type(exc).__name__
    if isinstance(exc, ch.Error):
        code = exc.code
        lowered = message.lower()
        if any(text in lowered for text in _PERMANENT_MESSAGES):
            return PermanentStorageError(message)
        if code is not None:
            if code in RETRYABLE_CODES:
                return RetryableStorageError(message)
            return PermanentStorageError(message)
        # No server error code: a transport failure (connection refused, reset, timeout).
        if isinstance(exc, ch.OperationalError | ch.InterfaceError):
            return RetryableStorageError(message)
        return PermanentStorageError(message)
    if isinstance(exc, RuntimeError):  # a chDB connection: "Code: 241. DB::Exception: ..."
        found = _ENGINE_CODE.search(message)
        if found is not None:
            if any(text in message.lower() for text in _PERMANENT_MESSAGES):
                return PermanentStorageError(message)
            if int(found.group(1)) in RETRYABLE_CODES:
                return RetryableStorageError(message)
            return PermanentStorageError(message)
    if isinstance(exc, OSError):  # connection refused/reset, timeouts, temp files
        return RetryableStorageError(message)
    if isinstance(exc, pa.ArrowException | OverflowError | TypeError | ValueError):
        return PermanentStorageError(f"cannot convert records for storage: {message}")
    return PermanentStorageError(message)


@contextmanager
def translated() -> Iterator[None]:
    """Run a block of storage calls; re-raise any failure as a storage error."""
    try:
        yield
    except StorageError:
        raise
    except Exception as exc:
        raise classify(exc) from exc


def chdb_path_locked(path: str) -> bool:
    """True when another process holds `<path>/status` (the lock ClickHouse takes at start).

    Only meaningful after opening the path failed: within the process that holds the engine,
    the lock also looks taken.
    """
    status = os.path.join(path, "status")
    try:
        fd = os.open(status, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def engine_message(text: str) -> str:
    """The sentence of an engine error without its code prefix, user, code name and version
    trailer: `Code: 76. DB::Exception: Cannot lock file x. (CANNOT_OPEN_FILE)` ->
    `Cannot lock file x.`"""
    tail = text.strip().rsplit("DB::Exception: ", 1)[-1]
    return _TRAILER.sub("", tail.removeprefix("default: ")).strip()


_TRAILER = re.compile(r"(?:\s*\((?:[A-Z][A-Z0-9_]+|version [^)]*)\)\.?)+\s*$")


def open_failure(
    exc: BaseException, chdb_path: str | None, engine_said: list[str] | None = None
) -> StorageError:
    """Explain why a connection could not be opened. chDB's own exception says little
    ("Error initializing EmbeddedServer"); the engine's lines captured on stderr
    (`engine_said`) tell why, and are reworded here, never shown raw."""
    if chdb_path is not None:
        text = str(exc)
        if chdb_path_locked(chdb_path):
            return DataPathLockedError(
                f"another runlens process holds {chdb_path}: embedded ClickHouse (chDB) allows one "
                "process per data directory. Stop that process, reach its data through its API, "
                "or point this process at another path."
            )
        if "already initialized with path" in text:
            return PermanentStorageError(
                f"this process already opened another embedded ClickHouse path; chDB allows one "
                f"data path per process, so {chdb_path} cannot be opened too"
            )
        reason = "; ".join(engine_message(line) for line in engine_said or [] if line.strip())
        return PermanentStorageError(
            f"cannot open the embedded store at {chdb_path}: {reason or engine_message(text)}"
        )
    return classify(exc)
