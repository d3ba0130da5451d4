"""The browser harness: Playwright for Python driving Debian's chromium against a real
`runlens serve` (its own process, temp chDB, free ports) fed through the real OTel SDK.

Every page a test opens is watched: a console error, an uncaught exception or a request to
anything but 127.0.0.1 fails the test. Screenshots go to tests/web/screenshots/ (ignored by
git). Without /usr/bin/chromium the browser tests are skipped, and fail when CI=true.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from runlens.serve import Endpoints
from tests.eventually import eventually
from tests.web.serve_process import serve

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
SCREENSHOTS = Path(__file__).parent / "screenshots"
LOCAL_HOSTS = {"127.0.0.1"}


# Playwright's sync API leaves its driver's Unix socket (family=1) and event loop to the garbage
# collector now and then; they are the library's, not what a test checks (runlens runs in a
# process of its own here and listens on TCP only).
PLAYWRIGHT_LEFTOVERS = [
    pytest.mark.filterwarnings(
        r"ignore:Exception ignored in. <socket.socket fd=\d+, family=1,"
        ":pytest.PytestUnraisableExceptionWarning"
    ),
    pytest.mark.filterwarnings(
        r"ignore:Exception ignored in. <function BaseEventLoop.__del__"
        ":pytest.PytestUnraisableExceptionWarning"
    ),
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            for mark in PLAYWRIGHT_LEFTOVERS:
                item.add_marker(mark)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = "chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Package scope: while Playwright's sync API runs, this thread has a running event loop,
    # and tests elsewhere that call asyncio.run() must not see it.

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="package")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Endpoints, str]]:
    """`runlens serve` with auth off (the embedded default), shared by the package's tests;
    attributes up to 8 MB are kept whole (the large-payload test sends 5 MB)."""
    big = {"RUNLENS_MAX_ATTRIBUTE_BYTES": str(8 << 20), "RUNLENS_MAX_REQUEST_BYTES": str(16 << 20)}
    with serve(tmp_path_factory.mktemp("ui") / "data", **big) as running:
        yield running


def until(check: Callable[[], object], timeout: float = 10) -> None:
    """Wait until `check()` is true (at most `timeout` seconds), else fail."""

    def once() -> None:
        assert check()

    eventually(once, timeout=timeout)


class Watched:
    """A page and what it did that a test must not allow."""

    def __init__(self, page: Any, base: str) -> None:
        self.page, self.base = page, base
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.on("websocket", self._socket)

    def _socket(self, socket: Any) -> None:
        if urlsplit(socket.url).hostname not in LOCAL_HOSTS:
            self.foreign.append(socket.url)

    def open(self, path: str) -> Any:
        self.page.goto(self.base + path)
        return self.page

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def watch(browser: Any, base: str, **context: Any) -> Iterator[Watched]:
    ctx = browser.new_context(
        viewport={"width": 1400, "height": 900},
        permissions=["clipboard-read", "clipboard-write"],
        accept_downloads=True,
        **context,
    )
    page = ctx.new_page()
    watched = Watched(page, base)

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            watched.foreign.append(route.request.url)
            route.abort()

    ctx.route("**/*", guard)
    try:
        yield watched
    finally:
        ctx.close()
    assert not watched.foreign, f"requests left 127.0.0.1: {watched.foreign}"
    assert not watched.errors, f"console errors: {watched.errors}"


@pytest.fixture
def ui(browser: Any, ui_server: tuple[Endpoints, str]) -> Iterator[Watched]:
    """A fresh browser context on the package's server, light theme."""
    yield from watch(browser, ui_server[1], color_scheme="light")


@pytest.fixture
def agent() -> str:
    return f"agent-{uuid.uuid4().hex[:8]}"
