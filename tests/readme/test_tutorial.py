"""README.md's tutorial ("Five minutes with runlens"), step by step, as a new user runs it
against a real `runlens serve` process.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import re
import signal
import socket
import time

import httpx

from tests.eventually import eventually
from tests.readme.conftest import ROOT, RUN, Served, blocks


def test_1_make_run_starts_runlens_with_the_banner_shown(served: Served) -> None:
    [[make_run]] = blocks("1. Start runlens")
    assert make_run.startswith("make run ")
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    assert recipe and recipe.group(1).strip().endswith("$(BIN)/runlens serve")
    readme = (ROOT / "README.md").read_text()
    shown = readme[readme.index("runlens 0.1.0 is running") :]
    shown = shown[: shown.index("Press Ctrl+C to stop.")]

    def shape(lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        text = re.sub(r"127\.0\.0\.1:\d+", "ADDRESS", text)
        return re.sub(r"data\s+\S+", "data PATH", text).splitlines()

    assert shape(served.banner[:-1]) == shape(shown.rstrip("\n").splitlines())


def test_2_the_demo_leaves_a_run_working(served: Served) -> None:
    [block] = blocks("2. Send the demo")
    started = time.monotonic()
    done = served.run(block, timeout=180)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 45  # the run left working holds no terminal output
    assert "sent 12 agent runs" in done.stdout
    live = re.search(r"live run (\w{32}) keeps working for 60 s .*\(process (\d+)\)", done.stdout)
    assert live, done.stdout
    try:
        run = served.graphql(RUN, id=live.group(1))["run"]
        assert run["status"] == "RUNNING" and run["agent"]["name"] == "coding_agent"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(live.group(2)), signal.SIGTERM)  # the demo's, started by this test


def test_3_the_ui_is_served_at_the_api_port(served: Served) -> None:
    assert "Open http://127.0.0.1:8000." in (ROOT / "README.md").read_text()
    page = httpx.get(served.api_url + "/", timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]


def test_3_sql_answers_while_runlens_runs(served: Served) -> None:
    [block] = blocks("3. Open the UI")
    done = served.run(block, cwd=served.data.parent)  # where `make run` keeps its store
    assert done.returncode == 0, done.stderr
    assert "agent_name" in done.stdout


def test_4_the_pydantic_ai_example_sends_its_prompts(served: Served) -> None:
    exports, (install, agent), *_ = blocks("4. Send your own agent's spans")
    assert install == "pip install -e '.[examples]'"
    done = served.run([*exports, agent])
    assert done.returncode == 0, done.stderr
    found = re.search(r"run (\w{32}): Here is the forecast: 18 °C and cloudy in Oslo", done.stdout)
    assert found, done.stdout
    run = served.ended(found.group(1))
    assert run["status"] == "COMPLETED" and run["agent"]["name"] == "weather_agent"
    events = [edge["node"] for edge in run["events"]["edges"]]
    calls = [e for e in events if e["kind"] == "LLM_CALL"]
    assert len(calls) == 2 and all(e["input"] and e["output"] for e in calls)  # content on
    assert "execute_tool get_forecast" in {e["name"] for e in events}


def test_4_the_examples_extra_installs_what_the_examples_import() -> None:
    """`pip install -e '.[examples]'` is not run here (it would change the test's own venv):
    the extras exist and what they name is what the examples import, installed in CI."""
    requirements = importlib.metadata.requires("runlens") or []
    extra = [
        r.split(";")[0]
        for r in requirements
        if 'extra == "replay"' in r or 'extra == "examples"' in r
    ]
    names = {re.split(r"[\[<>=! ]", r, maxsplit=1)[0] for r in extra}
    assert {"pydantic-ai-slim", "openai", "openinference-instrumentation-openai"} <= names
    for name in names:
        assert importlib.metadata.version(name)


def test_4_the_openai_example_runs_against_its_fake_server(served: Served) -> None:
    _, _, [fake_server], openai_block = blocks("4. Send your own agent's spans")
    fake = served.start([fake_server])
    try:

        def listening() -> None:
            with socket.create_connection(("127.0.0.1", 9999), timeout=1):
                pass

        eventually(lambda: _assert_no_error(listening), timeout=30)
        done = served.run(openai_block)
        assert done.returncode == 0, done.stderr
        found = re.search(r"\b([0-9a-f]{32})\b", done.stdout)
        assert found, done.stdout
        run = served.ended(found.group(1))
        calls = [e["node"] for e in run["events"]["edges"] if e["node"]["kind"] == "LLM_CALL"]
        assert calls and all(call["input"] for call in calls)  # content capture on
    finally:
        fake.stop(signal.SIGTERM)


def _assert_no_error(check: object) -> None:
    try:
        check()  # type: ignore[operator]
    except OSError as exc:
        raise AssertionError(exc) from exc


def test_5_a_live_run_streams_and_stops_on_command(served: Served) -> None:
    [agent_block], [terminate] = blocks("5. Watch a run live, and stop it")
    agent = served.start([agent_block])
    try:
        run_id = agent.until(r"run (\w{32}) started", timeout=60).group(1)

        def streaming() -> None:
            run = served.graphql(RUN, id=run_id)["run"]
            assert run is not None and run["status"] == "RUNNING", run
            nodes = [edge["node"] for edge in run["events"]["edges"]]
            assert any(n.get("streamedText") for n in nodes), nodes
            assert any((n.get("terminalOutput") or {}).get("chunkCount") for n in nodes), nodes

        eventually(streaming, timeout=30)
        done = served.run([terminate], RUN_ID=run_id)
        assert done.returncode == 0 and '"state"' in done.stdout, done
        agent.until(rf"run {run_id} terminated \(enough\) after \d+ step", timeout=30)
        assert agent.process.wait(30) == 0
    finally:
        agent.stop()


def test_6_the_replay_is_served_from_the_recording_and_compared(served: Served) -> None:
    [record, replay], [changed] = blocks("6. Replay it")
    recorded = served.run([record])
    assert recorded.returncode == 0, recorded.stderr
    run_id = re.search(r"run (\w{32}):", recorded.stdout)
    assert run_id, recorded.stdout
    served.ended(run_id.group(1))
    started = time.monotonic()

    done = served.run([replay], RUN_ID=run_id.group(1))
    assert done.returncode == 0, done.stderr
    readme = (ROOT / "README.md").read_text()
    sample = readme[readme.index("runlens replay: [3/3 served") :]
    sample = sample[: sample.index("```")]
    for line in sample.splitlines():
        if line.strip() and line.strip() != "…":
            assert line in done.stdout, (line, done.stdout)

    diverged = served.run([changed], RUN_ID=run_id.group(1))
    assert diverged.returncode == 0, diverged.stderr
    assert "diverged llm chat gpt-4o-mini (the input differs from the recording)" in (
        diverged.stdout
    )
    assert "24 °C and cloudy in Rome" in diverged.stdout
    assert time.monotonic() - started < 120
