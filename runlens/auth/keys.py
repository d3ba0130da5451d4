"""The shape of an API key: `rlk_<key_id>_<secret>`.

`key_id` is public (12 hex characters, shown in listings and logs); the secret is 256 random
bits and is never stored, only its SHA-256. A fast digest is enough for random secrets of this
size (there is no dictionary to try); a slow password hash would add milliseconds to every
export.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from runlens.storage.keys import ApiKeyRecord

PREFIX = "rlk"
_ID_HEX = 12


@dataclass(frozen=True, slots=True)
class ParsedKey:
    key_id: str
    secret: str


def new_key() -> tuple[ParsedKey, str]:
    """A fresh key and its full text (shown to the user once)."""
    parsed = ParsedKey(secrets.token_hex(_ID_HEX // 2), secrets.token_urlsafe(32))
    return parsed, f"{PREFIX}_{parsed.key_id}_{parsed.secret}"


def parse_key(text: str) -> ParsedKey | None:
    """The parts of a key, or None when the text does not have the shape of one."""
    prefix, _, rest = text.strip().partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or len(key_id) != _ID_HEX or not secret:
        return None
    if any(c not in "0123456789abcdef" for c in key_id):
        return None
    return ParsedKey(key_id, secret)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)


def issue(project_id: str, name: str, now_us: int) -> tuple[ApiKeyRecord, str]:
    """A new key of `project_id`: the record to store and the key text to hand out once."""
    parsed, text = new_key()
    record = ApiKeyRecord(
        key_id=parsed.key_id,
        project_id=project_id,
        name=name,
        secret_sha256=digest(parsed.secret),
        created_at_us=now_us,
    )
    return record, text
