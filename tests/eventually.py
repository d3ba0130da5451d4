"""Bounded polling for effects that follow an acknowledged export asynchronously (run summaries
are recomputed after the export is acknowledged, within about a second)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(check: Callable[[], T], timeout: float = 10, interval: float = 0.05) -> T:
    """Call `check` until it returns without an AssertionError, at most `timeout` seconds;
    returns its result, or re-raises its last AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
        time.sleep(interval)
