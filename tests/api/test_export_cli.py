"""`runlens export` against the real server: the file, the progress line, the errors."""

from __future__ import annotations

import csv
import io
import json
import socket
from pathlib import Path

import pytest

from runlens.__main__ import main
from runlens.export_cli import RunCounter
from runlens.serve import Endpoints
from tests.api.workload import Recorder, assistant, chat, tool, tool_request, user


def record(recorder: Recorder, agent: str, runs: int) -> list[str]:
    ids = []
    for n in range(runs):
        root = recorder.root(agent)
        request = tool_request("c1", "shell", {"cmd": f"echo {n}"})
        recorder.child(root, "chat gpt-4o-mini", chat([user("go")], request, finish="tool_call"))
        recorder.child(root, "execute_tool shell", tool("shell", "c1", {"n": n}, 'a\nb,"c"'))
        recorder.child(root, "chat gpt-4o-mini", chat([user("go"), request], assistant("done")))
        ids.append(recorder.end(root))
    recorder.send()
    return ids


def test_writes_the_file_and_exits_0(
    server: Endpoints, recorder: Recorder, agent: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    ids = record(recorder, agent, 3)
    target = tmp_path / "runs.jsonl"
    args = ["export", "--api", server.api_url, "--format", "jsonl", "--output", str(target),
            "--agent-id", agent, "--status", "completed", "--window", "LAST_7D"]  # fmt: skip
    assert main(args) == 0
    runs = [json.loads(line) for line in target.read_text().splitlines()]
    assert sorted(r["id"] for r in runs) == sorted(ids)
    assert all(len(r["actions"]) == 3 for r in runs)
    assert not (tmp_path / "runs.jsonl.part").exists()
    err = capsys.readouterr().err
    assert "3/3 runs" in err and "100%" in err and "runs/s" in err
    assert f"wrote {target}" in err


def test_csv_with_payloads_and_limit(
    server: Endpoints, recorder: Recorder, agent: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    record(recorder, agent, 3)
    target = tmp_path / "runs.csv"
    args = ["export", "--api", server.api_url, "--format", "csv", "-o", str(target),
            "--agent-id", agent, "--limit", "2", "--include-payloads"]  # fmt: skip
    assert main(args) == 0
    rows = list(csv.DictReader(io.StringIO(target.read_bytes().decode())))
    assert len(rows) == 2 * 3 and len({row["run_id"] for row in rows}) == 2
    assert {row["action_output"] for row in rows if row["action_kind"] == "TOOL_EXECUTION"} == {
        'a\nb,"c"'
    }
    assert "2/2 runs" in capsys.readouterr().err  # quoted newlines end no record


def test_unreachable_api_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    target = tmp_path / "runs.jsonl"
    assert main(["export", "--api", f"http://127.0.0.1:{port}", "-o", str(target)]) == 1
    assert f"cannot reach the runlens API at http://127.0.0.1:{port}" in capsys.readouterr().err
    assert not target.exists()


def test_refused_export_exits_1_with_the_server_message(
    server: Endpoints, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "runs.jsonl"
    assert main(["export", "--api", server.api_url, "--limit", "-1", "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert "the API refused the export (400): invalid limit -1: use a whole number >= 0" in err
    assert not target.exists()
    assert main(["export", "--api", "127.0.0.1:8000"]) == 1
    assert "--api must be an http(s) URL" in capsys.readouterr().err


@pytest.mark.parametrize("size", [1, 7, 1000])
def test_run_counter_across_chunk_boundaries(size: int) -> None:
    text = b'run_id,action\r\nr1,"x"\r\nr1,"multi\nline, ""quoted"""\r\nr2,\r\n"r3","a\n\nb"\r\n'
    counter = RunCounter("csv")
    for start in range(0, len(text), size):
        counter.feed(text[start : start + size])
    assert counter.runs == 3
    lines = b'[\n{"id":"a","name":"{x}\\n{"},\n{"id":"b"}\n]\n'
    counter = RunCounter("json")
    for start in range(0, len(lines), size):
        counter.feed(lines[start : start + size])
    assert counter.runs == 2
