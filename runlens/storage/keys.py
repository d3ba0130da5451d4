"""What runlens may expect of a store of API keys.

A `KeyStore` keeps one state per key (created, then possibly revoked) and never the secret
itself, only its digest. Keys are looked up by their public id across projects: resolving a
key is what tells which project a request belongs to, so it is the one read that is not
scoped to a project.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    key_id: str
    project_id: str
    name: str
    secret_sha256: str
    created_at_us: int
    revoked_at_us: int | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at_us is not None


class KeyStore(Protocol):
    def save_key(self, key: ApiKeyRecord) -> None:
        """Store the current state of a key (durable on return)."""
        ...

    def find_key(self, key_id: str) -> ApiKeyRecord | None:
        """The key with this public id in its latest state, from any project."""
        ...

    def list_keys(self, project_id: str | None = None) -> list[ApiKeyRecord]:
        """Every key (of one project, when given), oldest first."""
        ...
