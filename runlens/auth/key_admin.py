"""Creating, listing and revoking API keys over any `KeyStore`: the one implementation behind
`runlens keys`, whether it opens the store itself or goes through a running server's admin
endpoints (`runlens/api/admin.py`)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from typing import Any

from runlens.auth.keys import issue, parse_key
from runlens.storage.keys import ApiKeyRecord, KeyStore

_PROJECT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class InvalidProject(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Revocation:
    key: ApiKeyRecord | None  # None: no such key
    already_revoked: bool


def create_key(keys: KeyStore, project: str, name: str) -> tuple[ApiKeyRecord, str]:
    """A new key of `project`, stored; returns its record and its text (shown once)."""
    if not _PROJECT.match(project):
        raise InvalidProject(
            f"invalid project name {project!r}: use 1-64 letters, digits, "
            "'.', '_' or '-', starting with a letter or digit"
        )
    record, text = issue(project, name, time.time_ns() // 1000)
    keys.save_key(record)
    return record, text


def revoke_key(keys: KeyStore, key: str) -> Revocation:
    """Revoke a key given by its id or its whole text."""
    found = keys.find_key(key_id_of(key))
    if found is None or found.revoked:
        return Revocation(found, already_revoked=found is not None)
    revoked = replace(found, revoked_at_us=time.time_ns() // 1000)
    keys.save_key(revoked)
    return Revocation(revoked, already_revoked=False)


def key_id_of(key: str) -> str:
    parsed = parse_key(key)
    return parsed.key_id if parsed is not None else key.strip()


def to_json(key: ApiKeyRecord) -> dict[str, Any]:
    """A key as the admin endpoints send it: everything but the secret's digest."""
    return {
        "key_id": key.key_id,
        "project_id": key.project_id,
        "name": key.name,
        "created_at_us": key.created_at_us,
        "revoked_at_us": key.revoked_at_us,
    }


def from_json(data: dict[str, Any]) -> ApiKeyRecord:
    revoked = data.get("revoked_at_us")
    return ApiKeyRecord(
        key_id=str(data["key_id"]),
        project_id=str(data["project_id"]),
        name=str(data["name"]),
        secret_sha256="",
        created_at_us=int(data["created_at_us"]),
        revoked_at_us=None if revoked is None else int(revoked),
    )
