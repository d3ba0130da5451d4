"""`runlens keys` and the admin door while a real `runlens serve` process holds the embedded
store, after it stops, after it is killed, and when the store is locked with no door."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import clickhouse_connect
import grpc
import httpx
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

from runlens.local_admin import ADMIN_FILE, ADMIN_HEADER, find
from tests.auth.test_keys_cli import export, keys

RAW_ENGINE_TEXT = ("DB::Exception", "Code: 76")


@dataclass
class Served:
    process: subprocess.Popen[str]
    grpc_port: int
    api_port: int


def serve_command(data: Path) -> list[str]:
    ports = ["--grpc-port", "0", "--otlp-http-port", "0", "--port", "0"]
    return [sys.executable, "-m", "runlens", "serve", "--clickhouse-url", f"chdb://{data}", *ports]


@contextmanager
def serving(data: Path, *flags: str) -> Iterator[Served]:
    process = subprocess.Popen(
        [*serve_command(data), *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    ports: dict[str, int] = {}
    for line in process.stdout:
        if found := re.search(r"(OTLP/gRPC|API)\s+http://127\.0\.0\.1:(\d+)", line):
            ports[found.group(1)] = int(found.group(2))
        if "Press Ctrl+C" in line:
            break
    try:
        yield Served(process, ports["OTLP/gRPC"], ports["API"])
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(60)
        process.stdout.close()


def clean(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    for text in RAW_ENGINE_TEXT:
        assert text not in result.stdout + result.stderr, result.stderr
    return result


def test_keys_go_through_the_running_server(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serving(data, "--auth", "required") as served:
        door = data / ADMIN_FILE
        assert stat.S_IMODE(door.stat().st_mode) == 0o600
        token = find(str(data))
        assert token is not None and token.url == f"http://127.0.0.1:{served.api_port}"

        created = clean(keys(data, "create", "--project", "shop", "--name", "live"))
        assert created.returncode == 0, created.stderr
        key = re.search(r"rlk_[0-9a-f]{12}_\S+", created.stdout)
        assert key is not None
        assert export(served.grpc_port, key.group(0)) == grpc.StatusCode.OK  # works at once

        listed = clean(keys(data, "list", "--project", "shop"))
        assert "live" in listed.stdout and "active" in listed.stdout
        bad = clean(keys(data, "create", "--project", "no spaces"))
        assert bad.returncode == 2 and "invalid project name" in bad.stderr

        api = f"http://127.0.0.1:{served.api_port}"
        assert httpx.get(f"{api}/admin/keys").status_code == 401
        assert httpx.get(f"{api}/admin/keys", headers={ADMIN_HEADER: "guess"}).status_code == 401
        answer = httpx.get(f"{api}/admin/keys", headers={ADMIN_HEADER: token.token})
        assert answer.status_code == 200 and "secret" not in answer.text

        with pytest.raises(DatabaseError, match="code: 516"):
            clickhouse_connect.get_client(
                host="127.0.0.1", port=served.api_port, proxy_path="/clickhouse"
            )
        admin_sql = clickhouse_connect.get_client(
            host="127.0.0.1", port=served.api_port, proxy_path="/clickhouse", password=token.token
        )
        assert admin_sql.query("SELECT count() FROM api_keys FINAL").result_rows == [(1,)]
        admin_sql.close()

        revoked = clean(keys(data, "revoke", key.group(0)))
        assert revoked.returncode == 0 and "revoked key" in revoked.stdout
        # revoked through the server: its key cache forgets the key at once
        assert export(served.grpc_port, key.group(0)) == grpc.StatusCode.UNAUTHENTICATED
    assert not door.exists()  # removed on a clean shutdown
    after = clean(keys(data, "list"))  # no server: the store is opened directly
    assert after.returncode == 0 and "revoked" in after.stdout


def test_a_door_left_by_a_killed_server_is_passed_by(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serving(data) as served:
        served.process.send_signal(signal.SIGKILL)
        served.process.wait(60)
    assert (data / ADMIN_FILE).exists()
    created = clean(keys(data, "create", "--project", "shop"))
    assert created.returncode == 0, created.stderr


def test_a_store_locked_without_a_door_gives_a_clear_message(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serving(data):
        door = data / ADMIN_FILE
        door.rename(tmp_path / "door")  # as if the store were held by a runlens without one
        try:
            listed = clean(keys(data, "list"))
            assert listed.returncode == 1
            assert "another runlens process holds" in listed.stderr
            second = clean(
                subprocess.run(
                    serve_command(data),
                    check=False,
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
            )
            assert second.returncode == 1 and "cannot start" in second.stderr
        finally:
            (tmp_path / "door").rename(door)
    assert os.listdir(data)
