"""A real `runlens serve` with a project of its own and a budget for one agent, the example
agent of examples/control_agent.py (real OTel SDK exporter, fake LLM) and a GraphQL client."""

from __future__ import annotations

import importlib.util
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from runlens.bus import LiveBus
from runlens.serve import Endpoints
from tests.api.conftest import GraphQL
from tests.conftest import running_server

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "control_agent.py"
BUDGET_AGENT = "budget_example"
WAIT_S = 20.0


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("control_agent_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through it
    spec.loader.exec_module(module)
    return module


example = load_example()


@pytest.fixture(scope="package")
def bus() -> LiveBus:
    return LiveBus()


@pytest.fixture(scope="package")
def server(chdb_dsn: str, bus: LiveBus) -> Iterator[Endpoints]:
    with running_server(
        chdb_dsn,
        bus,
        project=f"control-{uuid.uuid4().hex[:12]}",
        agent_budgets_usd={BUDGET_AGENT: 0.000001},
    ) as endpoints:
        yield endpoints


@pytest.fixture(scope="package")
def gql(server: Endpoints) -> GraphQL:
    return GraphQL(server.api_url)


AgentFactory = Callable[..., Any]


@pytest.fixture
def make_agent(server: Endpoints) -> Iterator[AgentFactory]:
    agents: list[Any] = []

    def make(name: str | None = None, step_delay_s: float = 0.1) -> Any:
        agent = example.ControlledAgent(
            server.api_url,
            f"127.0.0.1:{server.grpc_port}",
            name=name or f"agent_{uuid.uuid4().hex[:8]}",
            step_delay_s=step_delay_s,
        )
        agents.append(agent)
        return agent

    yield make
    for agent in agents:
        agent.close()


class Background:
    """One agent run in a thread: `run_id` once its root span started, `result` once done."""

    def __init__(self, agent: Any, task: str, steps: int) -> None:
        self.started = threading.Event()
        self.run_id = ""
        self.result: Any = None
        self.error: BaseException | None = None

        def started(run_id: str) -> None:
            self.run_id = run_id
            self.started.set()

        def target() -> None:
            try:
                self.result = agent.run(task, steps=steps, started=started)
            except BaseException as exc:
                self.error = exc

        self.thread = threading.Thread(target=target, daemon=True)
        self.thread.start()
        assert self.started.wait(WAIT_S), "the agent did not start"

    def join(self) -> Any:
        self.thread.join(WAIT_S)
        assert not self.thread.is_alive(), "the agent did not stop"
        assert self.error is None, self.error
        return self.result
