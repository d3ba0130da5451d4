"""What every resolver gets: the reader, the API options, this request's DataLoaders, the
live bus (absent when the API runs without an ingest pipeline) and the control service (absent
when nothing can record commands: mutations answer UNAVAILABLE, runs list no commands)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from runlens.api.auth import resolve_project
from runlens.api.graphql.errors import ApiError, ErrorCode
from runlens.api.graphql.loaders import Loaders, off_loop
from runlens.auth.authenticator import Authenticator, credential_from
from runlens.bus import LiveBus
from runlens.control.service import ControlService
from runlens.semconv.pricing import PriceTable
from runlens.storage.commands import ControlCommand
from runlens.storage.contract import ApiReader


@dataclass(frozen=True, slots=True)
class ApiOptions:
    """How the API answers; built once by the composition root from the settings."""

    agent_budgets_usd: Mapping[str, float] = field(default_factory=dict)
    intervention_threshold: float = 0.3  # blocked actions / actions that make an intercept
    max_query_depth: int = 12
    max_query_aliases: int = 30
    max_page_size: int = 200  # largest `first`; more is a BAD_REQUEST
    export_rate_per_min: float = 60.0  # GET /export/runs per project, sustained
    export_burst: int = 30  # GET /export/runs per project at once
    prices: PriceTable | None = None  # reprices compared runs; None: the bundled table


class Context(BaseContext):
    """Over HTTP the project is resolved from the request's key before the context exists;
    a WebSocket without a key in its headers is authenticated from its connection payload
    (`RunlensGraphQLRouter.on_ws_connect`). Until then, resolvers touching data fail with
    UNAUTHENTICATED."""

    def __init__(
        self,
        reader: ApiReader,
        options: ApiOptions,
        bus: LiveBus | None = None,
        control: ControlService | None = None,
        project_id: str | None = None,
    ) -> None:
        super().__init__()
        self.reader = reader
        self.options = options
        self.bus = bus
        self.control = control
        self._project_id = project_id
        self._loaders: Loaders | None = None
        self.commands = DataLoader[str, list[ControlCommand]](load_fn=self._load_commands)

    @property
    def authenticated(self) -> bool:
        return self._project_id is not None

    @property
    def project_id(self) -> str:
        if self._project_id is None:
            raise ApiError(
                ErrorCode.UNAUTHENTICATED,
                "not authenticated: send the API key in the connection payload "
                '({"authorization": "Bearer <key>"})',
            )
        return self._project_id

    def authenticate(self, project_id: str) -> None:
        self._project_id, self._loaders = project_id, None

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            bus = self.bus
            last_seq = None if bus is None else (lambda: bus.last_seq)
            self._loaders = Loaders(self.reader, self.project_id, last_seq)
        return self._loaders

    async def _load_commands(self, run_ids: list[str]) -> list[list[ControlCommand]]:
        if self.control is None:
            return [[] for _ in run_ids]
        found = await off_loop(self.control.run_commands, self.project_id, run_ids)
        return [found.get(run_id, []) for run_id in run_ids]


def context_getter(
    reader: ApiReader,
    options: ApiOptions,
    auth: Authenticator,
    bus: LiveBus | None = None,
    control: ControlService | None = None,
) -> Callable[[HTTPConnection], Awaitable[Context]]:
    """A FastAPI dependency giving each request a fresh context (and fresh loaders), with the
    project of its API key."""

    async def get_context(connection: HTTPConnection) -> Context:
        context = Context(reader, options, bus, control)
        pairs = connection.headers.items()
        if connection.scope["type"] == "websocket" and credential_from(pairs) is None:
            return context  # the key comes in the connection payload
        if connection.scope["type"] == "http" and _is_ide_page(connection):
            return context  # GraphiQL's page itself holds no data
        context.authenticate(await resolve_project(auth, pairs))
        return context

    return get_context


def _is_ide_page(connection: HTTPConnection) -> bool:
    return connection.scope.get("method") == "GET" and "query" not in connection.query_params
