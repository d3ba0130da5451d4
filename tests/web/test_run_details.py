"""Run details in a real browser: the three tabs and their keys, the inspector, copy JSON,
simulate replay, determinism, live updates of a running run, and large, binary and redacted
payloads (issue items 6 and 8)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from tests.api.workload import wait_for_runs
from tests.eventually import eventually
from tests.web.agents import Agent, trace_id
from tests.web.conftest import Watched
from tests.web.test_runs_page import Server

BIG_BYTES = 5 * 1024 * 1024


def _coding_run(server: Server, agent: str) -> str:
    sender = Agent(server[0], live=False)
    with sender.run(agent) as root:
        sender.llm("Fix the failing test", "I will read the file")
        sender.tool(
            "read_file", {"path": "auth/tokens.py"}, None, error="FileNotFoundError: no such file"
        )
        sender.tool("search_code", {"pattern": "def total"}, {"matches": ["auth/tokens.py:12"]})
        sender.llm("Patch it", "Done: the rounding is fixed.")
    sender.close()
    run = trace_id(root)
    wait_for_runs(server[0], [run])
    return run


def test_tabs_keys_inspector_and_copy(ui: Watched, ui_server: Server, agent: str) -> None:
    run = _coding_run(ui_server, agent)
    page = ui.open(f"/runs/{run}")
    actions = page.get_by_role("list", name="Actions").locator("li.action")
    eventually(lambda: _is(actions.count(), 4))
    assert "Completed" in page.locator(".run-header .badge").first.inner_text()
    failed = actions.filter(has_text="read_file")
    assert "error" in failed.locator(".badge").first.inner_text()
    # search by content, filter by outcome
    page.keyboard.press("/")
    page.keyboard.type("def total")
    eventually(lambda: _is(actions.count(), 1))
    assert "search_code" in actions.first.inner_text()
    page.get_by_role("searchbox").fill("")
    page.get_by_label("Outcome").select_option("ERROR")
    eventually(lambda: _is(actions.count(), 1))
    page.get_by_label("Outcome").select_option("")
    eventually(lambda: _is(actions.count(), 4))
    # expand all, copy an input's JSON
    page.get_by_role("button", name="Expand all").click()
    search = actions.filter(has_text="search_code")
    search.get_by_role("button", name="Copy input JSON").click()
    assert json.loads(page.evaluate("navigator.clipboard.readText()")) == {"pattern": "def total"}
    # the inspector: error details, metadata; Esc closes it
    failed.get_by_role("button", name="execute_tool read_file", exact=True).click()
    inspector = page.get_by_role("complementary", name="Operation inspector")
    inspector.wait_for()
    text = inspector.inner_text()
    assert "FileNotFoundError" in text and "What to try" in text and "Span id" in text
    assert "event=" in page.url
    ui.shot("run-telemetry-inspector")
    page.keyboard.press("Escape")
    inspector.wait_for(state="hidden")
    timeline = page.get_by_role("link", name=re.compile("Open the Timeline"))
    assert timeline.get_attribute("href") == f"/runs/{run}/timeline"


def test_tab_keys_simulation_and_determinism(ui: Watched, ui_server: Server, agent: str) -> None:
    run = _coding_run(ui_server, agent)
    page = ui.open(f"/runs/{run}")
    page.get_by_role("tab", name=re.compile("Telemetry")).wait_for()
    # r: to the simulation tab, and simulate a replay (the tab may still be loading)
    page.keyboard.press("r")
    page.wait_for_url(re.compile(r"tab=simulation"))
    sim = page.get_by_role("region", name="Replay simulation")
    sim.wait_for()
    summary = sim.inner_text().lower()  # the labels are upper case by style
    assert "served from recording" in summary and "savings" in summary
    command = f"runlens replay {run} -- <your agent command>"
    page.get_by_role("button", name="Copy the replay command").click()
    assert page.evaluate("navigator.clipboard.readText()") == command
    ui.shot("run-simulation")
    # d: determinism, score with its band, issues and fixes
    page.keyboard.press("d")
    page.wait_for_url(re.compile(r"tab=determinism"))
    score = page.get_by_role("img", name=re.compile(r"Determinism score \d+ of 100"))
    score.wait_for()
    value = int(score.locator("strong").inner_text())
    band = score.get_attribute("class") or ""
    expected = (
        "green" if value >= 90 else "yellow" if value >= 70 else "orange" if value >= 50 else "red"
    )
    assert f"band-{expected}" in band
    issues = page.get_by_role("table", name="Issues")
    assert "external state" in issues.inner_text() and "read_file" in issues.inner_text()
    assert (
        page.get_by_text("Before").first.is_visible()
        and page.get_by_text("After").first.is_visible()
    )
    ui.shot("run-determinism")
    page.keyboard.press("s")
    page.wait_for_url(re.compile(r"tab=simulation"))
    page.keyboard.press("r")  # again, on a tab shown anew
    page.get_by_role("region", name="Replay simulation").wait_for()
    page.keyboard.press("t")
    page.wait_for_url(re.compile(rf"/runs/{run}$"))


def test_replay_unavailable_says_why(ui: Watched, ui_server: Server, agent: str) -> None:
    sender = Agent(ui_server[0])
    with sender.run(agent) as root:
        sender.llm("start", "working")
        run = trace_id(root)
        wait_for_runs(ui_server[0], [run])
        page = ui.open(f"/runs/{run}?tab=simulation")
        page.get_by_role("button", name=re.compile("Simulate replay")).click()
        page.get_by_text("Replay not available").wait_for()
        assert "still running" in page.locator(".simulation").inner_text()
    sender.close()


def test_a_running_run_updates_live(ui: Watched, ui_server: Server, agent: str) -> None:
    sender = Agent(ui_server[0])
    with sender.run(agent, **{"runlens.run.expected_steps": 4}) as root:
        sender.llm("step 1", "ok")
        run = trace_id(root)
        wait_for_runs(ui_server[0], [run])
        page = ui.open(f"/runs/{run}")
        progress = page.get_by_role("progressbar", name="Run progress")
        progress.wait_for()
        actions = page.get_by_role("list", name="Actions").locator("li.action")
        eventually(lambda: _is(actions.count(), 1))
        sender.tool("lookup", {"q": 1}, {"a": 1})
        eventually(lambda: _is(actions.count(), 2), timeout=15)  # appears without a reload
        eventually(lambda: _is(progress.get_attribute("aria-valuenow"), "50"), timeout=15)
        ui.shot("run-live-progress")
    sender.close()
    page.get_by_role("status").filter(has_text="The run completed.").wait_for(timeout=15_000)
    assert "Completed" in page.locator(".run-header .badge").first.inner_text()


def test_large_binary_and_redacted_payloads(ui: Watched, ui_server: Server, agent: str) -> None:
    sender = Agent(ui_server[0], live=False)
    big = {"document": "x" * BIG_BYTES}
    with sender.run(agent) as root:
        sender.tool("ingest", big, {"ok": True})
        sender.tool("screenshot", {"page": 1}, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
        sender.tool("notify", {"to": "jane.doe@example.com"}, {"sent": True})
    sender.close()
    run = trace_id(root)
    wait_for_runs(ui_server[0], [run])
    page = ui.open(f"/runs/{run}")
    actions = page.get_by_role("list", name="Actions").locator("li.action")
    eventually(lambda: _is(actions.count(), 3))
    ingest = actions.filter(has_text="ingest")
    started = time.monotonic()
    ingest.get_by_role("button", name=re.compile("Expand")).click()
    notice = ingest.get_by_text("Large payload")
    notice.wait_for()
    assert time.monotonic() - started < 2, "expanding a 5 MB input froze the page"
    assert page.evaluate("document.getElementsByTagName('*').length") < 3000
    page.keyboard.press("?")  # the page still answers keys at once
    page.get_by_role("dialog", name="Keyboard shortcuts").wait_for(timeout=2000)
    page.keyboard.press("Escape")
    ingest.get_by_role("button", name=re.compile("Raw")).first.click()
    assert "Showing 64.0 KB of 5.0 MB" in ingest.inner_text()
    with page.expect_download() as download:
        ingest.get_by_role("button", name="Download").first.click()
    assert Path(download.value.path()).stat().st_size > BIG_BYTES
    ui.shot("run-large-payload")
    shot = actions.filter(has_text="screenshot")
    shot.get_by_role("button", name=re.compile("Expand")).click()
    shot.get_by_text("Binary content").wait_for()
    notify = actions.filter(has_text="notify")
    assert "redacted" in notify.inner_text()
    notify.get_by_role("button", name=re.compile("Expand")).click()
    mark = notify.locator("mark.redacted")
    mark.first.wait_for()
    assert mark.first.inner_text() == "[REDACTED:email]"
    ui.shot("run-binary-redacted")


def _is(value: object, expected: object) -> None:
    assert value == expected, value
