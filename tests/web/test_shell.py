"""The app shell in a real browser: navigation without reloads, the connection pill, the `?`
help, visible focus, both themes, and an API key asked once under `--auth required`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from runlens.serve import Endpoints
from tests.web.agents import Agent
from tests.web.conftest import Watched, watch
from tests.web.serve_process import runlens, serve


def test_navigation_stays_in_the_page_and_back_works(ui: Watched) -> None:
    page = ui.open("/runs")
    page.evaluate("window.__kept = 1")  # gone if a navigation reloads the page
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Runs").get_attribute("aria-current") == "page"
    nav.get_by_role("link", name="Activity").click()
    page.wait_for_url(re.compile(r"/activity$"))
    assert nav.get_by_role("link", name="Activity").get_attribute("aria-current") == "page"
    page.go_back()
    page.wait_for_url(re.compile(r"/runs$"))
    assert page.evaluate("window.__kept") == 1
    page.goto(ui.base + "/runs/0123/timeline")
    page.get_by_role("heading", name="Not found").wait_for()


def test_connection_pill_goes_live(ui: Watched) -> None:
    page = ui.open("/runs")
    pill = page.locator(".pill[role=status]")
    pill.filter(has_text="Live").wait_for()
    assert pill.get_attribute("data-state") == "connected"


def test_question_mark_lists_the_shortcuts(ui: Watched) -> None:
    page = ui.open("/runs")
    page.get_by_role("heading", name="Runs").wait_for()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    dialog.wait_for()
    assert dialog.get_by_text("focus search").is_visible()
    ui.shot("shell-help")
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Search runs"


def test_focus_is_visible(ui: Watched) -> None:
    page = ui.open("/runs")
    page.get_by_role("heading", name="Runs").wait_for()
    page.keyboard.press("Tab")
    style = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth]; })()"
    )
    assert style[0] != "none" and style[1] != "0px", style


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_themes_follow_the_os(browser: Any, ui_server: tuple[Endpoints, str], scheme: str) -> None:
    for watched in watch(browser, ui_server[1], color_scheme=scheme):
        page = watched.open("/runs")
        page.get_by_role("heading", name="Runs").wait_for()
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        channels = [int(c) for c in re.findall(r"\d+", background)[:3]]
        assert (sum(channels) < 200) == (scheme == "dark"), background
        watched.shot(f"shell-{scheme}")


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Endpoints, str, str]]:
    """A `runlens serve --auth required` with one key, made by `runlens keys create`."""
    data = tmp_path_factory.mktemp("locked") / "data"
    created = runlens("keys", "--clickhouse-url", f"chdb://{data}", "create", "--project", "locked")
    key = re.search(r"rlk_[A-Za-z0-9_\-]+", created.stdout)
    assert key is not None, created.stdout
    with serve(data, "--auth", "required") as (endpoints, url):
        yield endpoints, url, key[0]


def test_the_ui_asks_for_a_key_once_and_uses_it_everywhere(
    browser: Any, locked: tuple[Endpoints, str, str]
) -> None:
    endpoints, url, key = locked
    for ui in watch(browser, url):
        ui.page.on("console", lambda m: None)
        page = ui.open("/runs")
        dialog = page.get_by_role("dialog", name="API key")
        dialog.wait_for()
        ui.shot("shell-api-key")
        dialog.get_by_label("API key").fill(key)
        dialog.get_by_role("button", name="Use this key").click()
        dialog.wait_for(state="hidden")
        assert page.evaluate("localStorage.getItem('runlens.apiKey')") == key
        page.locator(".pill[data-state=connected]").wait_for()  # the socket took the key
        # the requests refused before the key was given (some answer after the prompt shows)
        ui.errors[:] = [e for e in ui.errors if "status of 401 (Unauthorized)" not in e]
        empty = page.locator(".state.empty")
        empty.get_by_role("heading", name="No runs yet").wait_for()
        assert "OTEL_EXPORTER_OTLP_ENDPOINT" in empty.inner_text()
        assert "runlens demo" in empty.inner_text()
        ui.shot("runs-empty")
        agent = Agent(endpoints, key)
        with agent.run("locked-agent"):
            agent.llm("hello", "hi")
        agent.close()
        page.get_by_role("link", name="locked-agent").first.wait_for()  # arrived live
        page.reload()
        page.get_by_role("link", name="locked-agent").first.wait_for()
        assert not page.get_by_role("dialog", name="API key").is_visible()


def test_graphiql_runs_offline(ui: Watched) -> None:
    page = ui.open("/graphql")
    page.locator(".graphiql-container .graphiql-editors").first.wait_for()
    ui.shot("graphiql")
