"""What every resolver gets: the reader, the API options, this request's DataLoaders, the
live bus (absent when the API runs without an ingest pipeline) and the control service (absent
when nothing can record commands: mutations answer UNAVAILABLE, runs list no commands)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from runlens.api.graphql.loaders import Loaders, off_loop
from runlens.bus import LiveBus
from runlens.control.service import ControlService
from runlens.semconv.pricing import PriceTable
from runlens.storage.commands import ControlCommand
from runlens.storage.contract import ApiReader


@dataclass(frozen=True, slots=True)
class ApiOptions:
    """How the API answers; built once by the composition root from the settings."""

    project_id: str = "default"
    agent_budgets_usd: Mapping[str, float] = field(default_factory=dict)
    intervention_threshold: float = 0.3  # blocked actions / actions that make an intercept
    max_query_depth: int = 12
    prices: PriceTable | None = None  # reprices compared runs; None: the bundled table


class Context(BaseContext):
    def __init__(
        self,
        reader: ApiReader,
        options: ApiOptions,
        bus: LiveBus | None = None,
        control: ControlService | None = None,
    ) -> None:
        super().__init__()
        self.reader = reader
        self.options = options
        self.bus = bus
        self.control = control
        self.project_id = options.project_id
        self.loaders = Loaders(reader, options.project_id)
        self.commands = DataLoader[str, list[ControlCommand]](load_fn=self._load_commands)

    async def _load_commands(self, run_ids: list[str]) -> list[list[ControlCommand]]:
        if self.control is None:
            return [[] for _ in run_ids]
        found = await off_loop(self.control.run_commands, self.project_id, run_ids)
        return [found.get(run_id, []) for run_id in run_ids]


def context_getter(
    reader: ApiReader,
    options: ApiOptions,
    bus: LiveBus | None = None,
    control: ControlService | None = None,
) -> Callable[[], Context]:
    """A FastAPI dependency giving each request a fresh context (and fresh loaders)."""

    def get_context() -> Context:
        return Context(reader, options, bus, control)

    return get_context
