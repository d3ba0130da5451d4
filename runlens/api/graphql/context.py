"""What every resolver gets: the reader, the API options, this request's DataLoaders and the
live bus (absent when the API runs without an ingest pipeline)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from strawberry.fastapi import BaseContext

from runlens.api.graphql.loaders import Loaders
from runlens.bus import LiveBus
from runlens.storage.contract import ApiReader


@dataclass(frozen=True, slots=True)
class ApiOptions:
    """How the API answers; built once by the composition root from the settings."""

    project_id: str = "default"
    agent_budgets_usd: Mapping[str, float] = field(default_factory=dict)
    intervention_threshold: float = 0.3  # blocked actions / actions that make an intercept
    max_query_depth: int = 12


class Context(BaseContext):
    def __init__(self, reader: ApiReader, options: ApiOptions, bus: LiveBus | None = None) -> None:
        super().__init__()
        self.reader = reader
        self.options = options
        self.bus = bus
        self.project_id = options.project_id
        self.loaders = Loaders(reader, options.project_id)


def context_getter(
    reader: ApiReader, options: ApiOptions, bus: LiveBus | None = None
) -> Callable[[], Context]:
    """A FastAPI dependency giving each request a fresh context (and fresh loaders)."""

    def get_context() -> Context:
        return Context(reader, options, bus)

    return get_context
