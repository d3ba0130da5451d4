"""The Runs page in a real browser: rows, filters in the URL, paging, live updates, critical
intercepts, export, and its empty, loading and error states (issue items 1-5 and 9)."""

from __future__ import annotations

import csv
import io
import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

from runlens.serve import Endpoints
from tests.api.workload import wait_for_runs
from tests.eventually import eventually
from tests.web.agents import Agent, trace_id
from tests.web.conftest import Watched

Server = tuple[Endpoints, str]


def send(server: Endpoints, agent: str, *, runs: int = 1, error: str | None = None) -> list[str]:
    """`runs` finished runs of `agent` (an LLM call and a tool each); their ids, oldest first."""
    sender = Agent(server, live=False)
    ids = []
    for i in range(runs):
        with sender.run(agent, error=error) as root:
            sender.llm(f"question {i}", f"answer {i}")
            sender.tool("lookup", {"q": i}, {"found": f"item-{i}"})
        ids.append(trace_id(root))
    sender.close()
    wait_for_runs(server, ids)
    return ids


def rows(page: Any) -> list[str]:
    return page.locator("tr[data-run]").evaluate_all("rs => rs.map(r => r.dataset.run)")


def test_registry_rows(ui: Watched, ui_server: Server, agent: str) -> None:
    [run] = send(ui_server[0], agent)
    page = ui.open(f"/runs?agent={agent}")
    row = page.locator(f'tr[data-run="{run}"]')
    row.wait_for()
    cells = row.locator("td")
    status = cells.nth(0).inner_text()
    assert "Completed" in status and "✓" in status  # a word and an icon, not colour alone
    assert cells.nth(1).inner_text().strip().startswith(run[:6])
    assert re.fullmatch(r"\$0\.0\d{1,4}|\$0\.\d{3,6}", cells.nth(6).inner_text().strip()), (
        cells.nth(6).inner_text()
    )
    assert cells.nth(5).inner_text().strip() == "2"  # actions
    assert cells.nth(7).inner_text().strip() == "100%"
    started = cells.nth(8).locator("time")
    assert re.search(r"ago|just now", started.inner_text())
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", started.get_attribute("title") or "")
    row.get_by_role("button", name=f"Copy run id {run}").click()
    assert page.evaluate("navigator.clipboard.readText()") == run
    page.get_by_text("1 run · end of list", exact=True).wait_for()
    ui.shot("runs-registry")
    page.goto(ui.base + "/runs")
    page.locator(f'tr[data-run="{run}"]').get_by_role("link", name=agent).click()
    page.wait_for_url(re.compile(rf"/runs\?agent={agent}$"))
    eventually(lambda: _assert(rows(page) == [run]))


def test_filters_live_in_the_url_and_back_works(ui: Watched, ui_server: Server, agent: str) -> None:
    ok = send(ui_server[0], agent, runs=2)
    [failed] = send(ui_server[0], agent, error="ToolError: boom")
    page = ui.open(f"/runs?agent={agent}")
    eventually(lambda: _assert(set(rows(page)) == {*ok, failed}))
    page.get_by_role("checkbox", name="Failed").check()
    page.wait_for_url(re.compile(r"status=FAILED"))
    eventually(lambda: _assert(rows(page) == [failed]))
    page.get_by_role("searchbox", name="Search runs").fill(failed[:10])
    page.wait_for_url(re.compile(rf"q={failed[:10]}"))
    page.go_back()  # typing replaced its entry: back undoes the status filter
    page.wait_for_url(re.compile(rf"/runs\?agent={agent}$"))
    eventually(lambda: _assert(set(rows(page)) == {*ok, failed}))
    page.get_by_label("Sort").select_option("started:asc")
    page.wait_for_url(re.compile(r"dir=asc"))
    eventually(lambda: _assert(rows(page) == [*ok, failed]))
    page.locator(".segmented label", has_text="24h").click()
    page.wait_for_url(re.compile(r"window=24h"))
    page.get_by_label("Minimum cost in USD").fill("1000")
    page.wait_for_url(re.compile(r"minCost=1000"))
    page.get_by_text("No runs match these filters").wait_for()
    ui.shot("runs-filtered-empty")
    page.goto(f"{ui.base}/runs?agent={agent}&status=COMPLETED&sort=started&dir=asc")  # shareable
    eventually(lambda: _assert(rows(page) == ok))


def test_agent_filter_types_to_search(ui: Watched, ui_server: Server) -> None:
    name = f"typeahead-{uuid.uuid4().hex[:6]}"
    [run] = send(ui_server[0], name)
    page = ui.open("/runs")
    box = page.get_by_role("combobox", name="Agent")
    box.press_sequentially(name[:12])
    options = page.locator("#agent-options option")
    eventually(lambda: _assert(name in options.evaluate_all("os => os.map(o => o.value)")))
    box.fill(name)
    page.wait_for_url(re.compile(rf"agent={name}"))
    eventually(lambda: _assert(rows(page) == [run]))


def test_cursor_paging_has_no_duplicates_or_gaps(
    ui: Watched, ui_server: Server, agent: str
) -> None:
    ids = send(ui_server[0], agent, runs=57)
    page = ui.open(f"/runs?agent={agent}")
    eventually(lambda: _assert(len(rows(page)) == 50))
    page.get_by_role("button", name="Load more").scroll_into_view_if_needed()
    eventually(lambda: _assert(len(rows(page)) == 57))
    assert rows(page) == list(reversed(ids))  # newest first, each run once
    page.get_by_text("57 runs · end of list").wait_for()


def test_the_list_follows_run_updates_live(ui: Watched, ui_server: Server, agent: str) -> None:
    page = ui.open(f"/runs?agent={agent}")
    page.get_by_text("No runs match these filters").wait_for()
    page.locator(".pill[data-state=connected]").wait_for()
    page.evaluate("window.__kept = 1")
    sender = Agent(ui_server[0])
    with sender.run(agent, **{"runlens.run.expected_steps": 4}) as root:
        sender.llm("plan", "step one")
        run = trace_id(root)
        row = page.locator(f'tr[data-run="{run}"]')
        row.wait_for(timeout=30_000)  # appears while running, no reload
        row.locator(".badge", has_text="Running").wait_for()
        first = row.locator("td").nth(4).inner_text()
        time.sleep(2.2)
        assert row.locator("td").nth(4).inner_text() != first  # the duration ticks
        watch = row.get_by_role("link", name="watch live")
        assert watch.get_attribute("href") == f"/runs/{run}/live"  # a running run links live
        ui.shot("runs-live-running")
    sender.close()
    row.locator(".badge", has_text="Completed").wait_for(timeout=30_000)
    assert row.get_by_role("link", name="watch live").count() == 0  # ended: its end time
    assert page.evaluate("window.__kept") == 1


def test_critical_intercepts_open_the_run(ui: Watched, ui_server: Server, agent: str) -> None:
    [failed] = send(ui_server[0], agent, error="RateLimitError: 429 slow down")
    page = ui.open("/runs")
    panel = page.get_by_role("region", name=re.compile("Critical intercepts"))
    item = panel.locator("a", has_text=agent).first
    item.wait_for()
    assert "Failed" in item.inner_text() and "slow down" in item.inner_text()
    ui.shot("runs-intercepts")
    item.click()
    page.wait_for_url(re.compile(rf"/runs/{failed}$"))


def test_export_respects_the_filters(ui: Watched, ui_server: Server, agent: str) -> None:
    ids = send(ui_server[0], agent, runs=3)
    send(ui_server[0], f"{agent}-other")
    page = ui.open(f"/runs?agent={agent}")
    eventually(lambda: _assert(len(rows(page)) == 3))
    for fmt in ("json", "csv", "jsonl"):
        page.get_by_label("Export format").select_option(fmt)
        with page.expect_download() as download:
            page.get_by_role("button", name="Export").click()
        text = Path(download.value.path()).read_text()
        assert download.value.suggested_filename.endswith(f".{fmt}")
        if fmt == "json":
            exported = [r["id"] for r in json.loads(text)]
        elif fmt == "jsonl":
            exported = [json.loads(line)["id"] for line in text.splitlines()]
        else:
            exported = [r["run_id"] for r in csv.DictReader(io.StringIO(text))]
        assert sorted(set(exported)) == sorted(ids), fmt  # a CSV has a row per action


def test_unknown_run_and_unreachable_server(ui: Watched) -> None:
    page = ui.open("/runs/ffffffffffffffffffffffffffffffff")
    page.get_by_role("heading", name="Unknown run").wait_for()
    assert "no run with id" in page.get_by_role("alert").inner_text()
    ui.shot("run-unknown")
    ui.errors.clear()  # the browser logs the refused request
    page.route("**/graphql", lambda route: route.abort())
    page.goto(ui.base + "/runs")
    page.get_by_role("heading", name="Server unreachable").wait_for()
    page.get_by_role("button", name="Try again").wait_for()
    ui.shot("runs-unreachable")
    page.goto("about:blank")  # nothing left in flight to log after the check
    page.unroute("**/graphql")
    assert all("ERR_FAILED" in e or "Failed to load resource" in e for e in ui.errors), ui.errors
    ui.errors.clear()


def test_an_api_error_shows_its_message(ui: Watched) -> None:
    """Auth is off, but a key that is sent must be valid: the server's message is shown."""
    page = ui.open("/runs")
    page.evaluate("localStorage.setItem('runlens.apiKey', 'rlk_000000000000_nope')")
    page.reload()
    alert = page.get_by_role("alert").first
    alert.wait_for()
    assert "API key" in alert.inner_text()
    page.get_by_role("dialog", name="API key").wait_for()
    ui.shot("runs-api-error")
    page.goto("about:blank")
    assert all("401" in e for e in ui.errors), ui.errors
    ui.errors.clear()  # the refused requests, as the browser logs them


def _assert(condition: bool) -> None:
    assert condition


def test_keyboard_moves_through_the_list(ui: Watched, ui_server: Server, agent: str) -> None:
    older, newer = send(ui_server[0], agent, runs=2)
    page = ui.open(f"/runs?agent={agent}")
    eventually(lambda: _assert(rows(page) == [newer, older]))
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.dataset.run") == older
    page.keyboard.press("k")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/runs/{newer}$"))
    page.get_by_role("tab", name=re.compile("Telemetry")).wait_for()
    page.keyboard.press("]")
    page.wait_for_url(re.compile(rf"/runs/{older}$"))
    page.keyboard.press("[")
    page.wait_for_url(re.compile(rf"/runs/{newer}$"))


def test_sorted_by_cost_new_runs_wait_behind_a_notice(
    ui: Watched, ui_server: Server, agent: str
) -> None:
    page = ui.open(f"/runs?agent={agent}&sort=cost")
    page.get_by_text("No runs match these filters").wait_for()
    page.locator(".pill[data-state=connected]").wait_for()
    [run] = send(ui_server[0], agent)
    notice = page.get_by_role("button", name=re.compile(r"1 new or changed run"))
    notice.wait_for(timeout=30_000)  # the order is not disturbed under the reader's eyes
    assert rows(page) == []
    notice.click()
    eventually(lambda: _assert(rows(page) == [run]))
