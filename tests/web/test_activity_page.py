"""The activity ledger in a real browser: actions across runs, filtered in the URL, each row
opening its run (issue item 7)."""

from __future__ import annotations

import re

from tests.eventually import eventually
from tests.web.conftest import Watched
from tests.web.test_runs_page import Server, send


def test_the_ledger_filters_and_links_to_runs(ui: Watched, ui_server: Server, agent: str) -> None:
    ok = send(ui_server[0], agent, runs=2)
    page = ui.open(f"/activity?agent={agent}")
    table = page.get_by_role("table", name="Actions")
    rows = table.locator("tbody tr")
    eventually(lambda: _is(rows.count(), 4))  # an LLM call and a tool per run
    page.get_by_label("Kind").select_option("TOOL_EXECUTION")
    page.wait_for_url(re.compile(r"kind=TOOL_EXECUTION"))
    eventually(lambda: _is(rows.count(), 2))
    assert all("lookup" in t for t in rows.all_inner_texts())
    page.get_by_label("Outcome").select_option("ERROR")
    page.wait_for_url(re.compile(r"outcome=ERROR"))
    page.get_by_text("No actions match").wait_for()
    page.go_back()
    eventually(lambda: _is(rows.count(), 2))
    page.get_by_role("searchbox", name="Search actions").fill("ITEM-1")  # in an output
    page.wait_for_url(re.compile(r"q=ITEM-1"))
    eventually(lambda: _is(rows.count(), 1))
    ui.shot("activity")
    rows.first.get_by_role("link").click()
    page.wait_for_url(re.compile(rf"/runs/{ok[1]}\?event=[0-9a-f]+"))
    page.get_by_role("complementary", name="Operation inspector").wait_for()


def _is(value: object, expected: object) -> None:
    assert value == expected, value
