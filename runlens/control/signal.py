"""Wakes long-polling requests (asyncio) when a command is recorded (from any thread)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class CommandSignal:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    def notify(self, topic: str) -> None:
        """Wake every listener of `topic` (thread-safe, never blocks)."""
        with self._lock:
            waiters = list(self._waiters.get(topic, ()))
        for loop, event in waiters:
            with suppress(RuntimeError):  # a closed loop: nobody waits there any more
                loop.call_soon_threadsafe(event.set)

    @contextmanager
    def listen(self, topic: str) -> Iterator[asyncio.Event]:
        """An event set by the next `notify(topic)`; register before looking for commands so
        that none recorded in between is missed."""
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.setdefault(topic, set()).add(waiter)
        try:
            yield waiter[1]
        finally:
            with self._lock:
                listeners = self._waiters.get(topic)
                if listeners is not None:
                    listeners.discard(waiter)
                    if not listeners:
                        del self._waiters[topic]


def run_topic(project_id: str, run_id: str) -> str:
    return f"{project_id}\x00run\x00{run_id}"


def agent_topic(project_id: str, agent_id: str) -> str:
    return f"{project_id}\x00agent\x00{agent_id}"
