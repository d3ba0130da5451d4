"""The Timeline of a run longer than one page of events (the list reads 100 at a time): a link
to an event far down opens on it, and scrolling reads the pages that come into view."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from runlens.serve import Endpoints
from tests.eventually import eventually
from tests.web.agents import Agent, trace_id
from tests.web.conftest import Watched, until

STEPS = 259  # tool executions; with the root span, 260 events: pages 0-99, 100-199, 200-259
EVENTS = """query($id: ID!, $offset: Int) { run(id: $id) { events(first: 1, offset: $offset) {
  totalCount edges { node { id name } } } } }"""


@pytest.fixture(scope="module")
def long_run(ui_server: tuple[Endpoints, str]) -> Iterator[dict[str, str]]:
    server = ui_server[0]
    agent = Agent(server)
    with agent.run("paged_agent") as root:
        for n in range(STEPS):
            agent.tool(f"step_{n:03}", {"n": n}, n)
        run_id = trace_id(root)
    agent.close()

    def stored() -> dict[str, str]:
        body = httpx.post(
            f"{server.api_url}/graphql",
            json={"query": EVENTS, "variables": {"id": run_id, "offset": 230}},
            timeout=30,
        ).json()  # fmt: skip
        events = body["data"]["run"]["events"]
        assert events["totalCount"] == STEPS + 1, body
        node = events["edges"][0]["node"]
        return {"run": run_id, "id": node["id"], "name": node["name"]}

    yield eventually(stored, timeout=60)


def rows(page: Any) -> Any:
    return page.locator(".ev-row")


def test_a_link_to_an_event_beyond_the_first_page(ui: Watched, long_run: dict[str, str]) -> None:
    page = ui.open(f"/runs/{long_run['run']}/timeline?event={long_run['id']}")
    selected = page.locator(".ev-row.selected")
    selected.wait_for(timeout=60_000)
    assert selected.get_attribute("data-id") == long_run["id"]
    assert "step_229" in selected.inner_text()  # the 231st event: the root, then step_000…
    assert selected.is_visible()  # the list scrolled to it
    page.locator(".event-detail").get_by_role("heading", name="step_229").wait_for()
    page.get_by_text(f"{STEPS + 1} events").wait_for()
    page.keyboard.press("ArrowDown")
    until(lambda: "step_230" in page.locator(".ev-row.selected").inner_text())
    ui.shot("timeline-deep-link")


def test_scrolling_reads_the_pages_in_view(ui: Watched, long_run: dict[str, str]) -> None:
    page = ui.open(f"/runs/{long_run['run']}/timeline")
    until(lambda: rows(page).count() > 20, timeout=60)
    assert "step_000" in page.locator(".ev-row").nth(1).inner_text()
    box = page.locator(".ev-list")
    box.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    last = page.locator(".ev-row", has_text="step_258")
    last.wait_for(timeout=30_000)
    assert last.is_visible()
    until(lambda: page.locator(".ev-hole").count() == 0)  # every row in view is read
    box.evaluate("el => { el.scrollTop = 150 * 30; }")  # the middle page
    page.locator(".ev-row", has_text="step_149").wait_for(timeout=30_000)
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("F")  # follow: the last event
    until(lambda: "step_258" in page.locator(".ev-row.selected").inner_text())
