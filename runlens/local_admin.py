"""The local admin door of a running `runlens serve` on an embedded store.

chDB admits one process per data directory, so while the server runs, `runlens keys` and
`runlens sql` cannot open the store themselves: they go through the server instead. At start
the server writes `<data directory>/runlens-admin.json`, readable by its user only (mode 0600):
the API's URL and a random token. The admin endpoints (`/admin/...`, and `/clickhouse` when
auth is required) answer only loopback clients carrying that token in `x-runlens-admin-token`.
The file is removed on a clean shutdown; one left by a killed server names a port that no
longer answers, and the CLI then opens the store directly.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

ADMIN_FILE = "runlens-admin.json"
ADMIN_HEADER = "x-runlens-admin-token"


@dataclass(frozen=True, slots=True)
class AdminDoor:
    url: str  # the API's base URL, reachable from this machine
    token: str
    pid: int


class AdminUnreachable(Exception):
    """No server answers at the door's URL (it stopped or was killed)."""


class AdminRefused(Exception):
    """The server answered with an error: `status` and its message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def new_token() -> str:
    return secrets.token_urlsafe(32)


def loopback_url(host: str, port: int) -> str:
    """The URL a local client uses to reach a server bound to `host`."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def publish(data_dir: str, door: AdminDoor) -> None:
    """Write the door file, mode 0600 from its creation, replacing any stale one atomically."""
    path = os.path.join(data_dir, ADMIN_FILE)
    temporary = f"{path}.{os.getpid()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"url": door.url, "token": door.token, "pid": door.pid}, out)
    os.replace(temporary, path)


def withdraw(data_dir: str, token: str) -> None:
    """Remove the door file if it is still this server's."""
    found = find(data_dir)
    if found is not None and secrets.compare_digest(found.token, token):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(data_dir, ADMIN_FILE))


def find(data_dir: str) -> AdminDoor | None:
    """The door a server published in `data_dir`, None without one (or an unreadable one)."""
    try:
        with open(os.path.join(data_dir, ADMIN_FILE), encoding="utf-8") as source:
            data = json.load(source)
        return AdminDoor(url=str(data["url"]), token=str(data["token"]), pid=int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def call(
    door: AdminDoor,
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    body: dict[str, Any] | bytes | None = None,
    timeout_s: float = 300,
) -> bytes:
    """One request to the server's admin door; the response body."""
    url = door.url + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
    headers = {ADMIN_HEADER: door.token}
    data: bytes | None = None
    if isinstance(body, bytes):
        data = body
    elif body is not None:
        data, headers["content-type"] = json.dumps(body).encode(), "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            payload: bytes = response.read()
            return payload
    except urllib.error.HTTPError as exc:
        raise AdminRefused(exc.code, _message(exc.read())) from None
    except (urllib.error.URLError, ConnectionError) as exc:
        raise AdminUnreachable(f"no runlens answers at {door.url}") from exc


def _message(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    try:
        error = json.loads(text)["error"]
        return str(error["message"])
    except (ValueError, KeyError, TypeError):
        return text
