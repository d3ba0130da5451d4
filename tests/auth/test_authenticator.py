"""The authenticator over the real store: key shapes, headers, modes, caching and revocation."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace

import pytest

from runlens.auth.authenticator import (
    INVALID,
    Authenticator,
    Unauthenticated,
    credential_from,
)
from runlens.auth.keys import issue, parse_key
from runlens.storage.clickhouse.store import ClickHouseStore


def test_credentials_come_from_either_header_in_any_case() -> None:
    assert credential_from([("Authorization", "Bearer  rlk_x ")]) == "rlk_x"
    assert credential_from([("authorization", "bearer rlk_x")]) == "rlk_x"
    assert credential_from([("X-Runlens-Api-Key", "rlk_y")]) == "rlk_y"
    assert credential_from([("authorization", "Basic abc"), ("other", "Bearer z")]) is None
    assert credential_from([("authorization", 42)]) is None  # a payload may hold anything
    assert credential_from([]) is None


def test_key_shape() -> None:
    record, text = issue("p", "n", 1)
    parsed = parse_key(text)
    assert parsed is not None and parsed.key_id == record.key_id
    assert parsed.secret not in record.secret_sha256  # only the digest is kept
    for bad in ("", "rlk_", "rlk_zzzzzzzzzzzz_secret", "sk_0123456789ab_secret", "rlk_0123_s"):
        assert parse_key(bad) is None, bad


def test_modes(store: ClickHouseStore) -> None:
    project = f"p-{uuid.uuid4().hex[:8]}"
    record, text = issue(project, "ci", time.time_ns() // 1000)
    store.save_key(record)
    required = Authenticator(store, required=True)
    optional = Authenticator(store, required=False, default_project="fallback")
    assert required.project_for(text) == optional.project_for(text) == project
    assert optional.project_for(None) == "fallback"
    with pytest.raises(Unauthenticated, match="API key is required"):
        required.project_for(None)
    with pytest.raises(Unauthenticated, match="malformed"):
        optional.project_for("hello")  # a wrong key never falls back to the default project
    with pytest.raises(Unauthenticated, match=INVALID):
        optional.project_for(text[:-1] + ("A" if text[-1] != "A" else "B"))
    with pytest.raises(ValueError):
        Authenticator(None, required=True)


def test_revocation_takes_effect_when_the_cache_expires(store: ClickHouseStore) -> None:
    now = [100.0]
    auth = Authenticator(store, required=True, cache_s=5, clock=lambda: now[0])
    record, text = issue(f"p-{uuid.uuid4().hex[:8]}", "ci", time.time_ns() // 1000)
    store.save_key(record)
    assert auth.project_for(text) == record.project_id
    store.save_key(replace(record, revoked_at_us=time.time_ns() // 1000))
    assert auth.project_for(text) == record.project_id  # cached
    now[0] += 5.1
    with pytest.raises(Unauthenticated, match=INVALID):
        auth.project_for(text)
    assert store.find_key(record.key_id) is not None
    listed = {k.key_id: k for k in store.list_keys(record.project_id)}
    assert listed[record.key_id].revoked
