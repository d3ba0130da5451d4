"""API keys in `runlens.api_keys`: one row per state change, read with FINAL (a small table,
and a lookup reads one key)."""

from __future__ import annotations

from typing import Any

from runlens.storage.keys import ApiKeyRecord

_TABLE = "runlens.api_keys"
_COLUMNS = """key_id, project_id, name, secret_sha256,
    toUnixTimestamp64Micro(created_at) AS created_at_us,
    toUnixTimestamp64Micro(revoked_at) AS revoked_at_us"""

INSERT_KEY = f"""INSERT INTO {_TABLE} (key_id, project_id, name, secret_sha256, created_at,
    revoked_at, updated_at)
SELECT {{key_id:String}}, {{project_id:String}}, {{name:String}}, {{secret_sha256:String}},
    fromUnixTimestamp64Micro({{created_us:Int64}}, 'UTC'),
    if({{revoked:Bool}}, fromUnixTimestamp64Micro({{revoked_us:Int64}}, 'UTC'), NULL),
    fromUnixTimestamp64Micro({{updated_us:Int64}}, 'UTC')"""

FIND_KEY = f"SELECT {_COLUMNS} FROM {_TABLE} FINAL WHERE key_id = {{key_id:String}} LIMIT 1"

LIST_KEYS = f"""SELECT {_COLUMNS} FROM {_TABLE} FINAL
WHERE {{all:Bool}} OR project_id = {{project_id:String}}
ORDER BY created_at, key_id"""


def insert_params(key: ApiKeyRecord, updated_us: int) -> dict[str, Any]:
    return {
        "updated_us": updated_us,
        "key_id": key.key_id,
        "project_id": key.project_id,
        "name": key.name,
        "secret_sha256": key.secret_sha256,
        "created_us": key.created_at_us,
        "revoked": key.revoked_at_us is not None,
        "revoked_us": key.revoked_at_us or 0,
    }


def key_from_row(row: dict[str, Any]) -> ApiKeyRecord:
    revoked = row["revoked_at_us"]
    return ApiKeyRecord(
        key_id=row["key_id"],
        project_id=row["project_id"],
        name=row["name"],
        secret_sha256=row["secret_sha256"],
        created_at_us=int(row["created_at_us"]),
        revoked_at_us=None if revoked is None else int(revoked),
    )
