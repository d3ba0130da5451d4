"""Resolve the API key of a request to its project: one object shared by every entry point
(OTLP gRPC and HTTP, GraphQL over HTTP and WebSocket, export, control).

- A valid key → its project, whatever the auth mode.
- No key → the default project when auth is disabled; otherwise `Unauthenticated`.
- A malformed, unknown or revoked key → `Unauthenticated`, with the same message for unknown
  and revoked keys (a caller learns nothing about which keys exist).

Lookups are cached for `cache_s` seconds (found and not found alike), so a revocation takes
effect within that time and a flood of requests costs one lookup per key and period.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from runlens.auth.keys import matches, parse_key
from runlens.storage.contract import StorageError
from runlens.storage.keys import ApiKeyRecord

HEADER = "x-runlens-api-key"
MISSING = (
    "an API key is required: send `authorization: Bearer <key>` or `x-runlens-api-key: <key>` "
    "(create one with `runlens keys create --project NAME`)"
)
INVALID = "invalid or revoked API key"
_CACHE_MAX = 10_000


class Unauthenticated(Exception):
    """No usable key: OTLP answers UNAUTHENTICATED / 401, the API 401."""


class AuthUnavailable(Exception):
    """The key could not be checked (storage unavailable): the client should retry."""


class KeyLookup(Protocol):
    def find_key(self, key_id: str) -> ApiKeyRecord | None: ...


def credential_from(pairs: Iterable[tuple[str, object]]) -> str | None:
    """The key carried by headers, gRPC metadata or a WebSocket connection payload:
    `authorization: Bearer <key>` or `x-runlens-api-key: <key>` (names in any case)."""
    for name, value in pairs:
        if not isinstance(value, str):
            continue
        lowered = name.lower()
        if lowered == HEADER and value.strip():
            return value.strip()
        if lowered == "authorization":
            scheme, _, token = value.strip().partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


@dataclass(slots=True)
class _Cached:
    record: ApiKeyRecord | None
    until: float


class Authenticator:
    def __init__(
        self,
        keys: KeyLookup | None,
        *,
        required: bool,
        default_project: str = "default",
        cache_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if required and keys is None:
            raise ValueError("auth cannot be required without a key store")
        self.required = required
        self.default_project = default_project
        self._keys, self._cache_s, self._clock = keys, cache_s, clock
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    @classmethod
    def disabled(cls, default_project: str = "default") -> Authenticator:
        """Every request goes to `default_project` and keys are not accepted (no key store)."""
        return cls(None, required=False, default_project=default_project)

    def project_for(self, credential: str | None) -> str:
        if credential is None:
            if self.required:
                raise Unauthenticated(MISSING)
            return self.default_project
        parsed = parse_key(credential)
        if parsed is None:
            raise Unauthenticated("malformed API key: runlens keys look like rlk_<id>_<secret>")
        record = self._lookup(parsed.key_id)
        if record is None or record.revoked or not matches(parsed.secret, record.secret_sha256):
            raise Unauthenticated(INVALID)
        return record.project_id

    def forget(self, key_id: str) -> None:
        """Drop a cached lookup (a key revoked through this server stops working at once)."""
        with self._lock:
            self._cache.pop(key_id, None)

    def _lookup(self, key_id: str) -> ApiKeyRecord | None:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key_id)
        if cached is not None and cached.until > now:
            return cached.record
        if self._keys is None:
            return None
        try:
            record = self._keys.find_key(key_id)
        except StorageError as exc:
            raise AuthUnavailable(f"cannot check the API key now, retry later: {exc}") from exc
        with self._lock:
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[key_id] = _Cached(record, now + self._cache_s)
        return record
