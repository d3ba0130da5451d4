"""The `/graphql` endpoint: Strawberry's FastAPI router (GraphiQL on GET, subscriptions over
WebSocket) whose responses carry `extensions.code` on every error (errors.py)."""

from __future__ import annotations

from starlette.requests import Request
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from runlens.api.graphql.context import ApiOptions, Context, context_getter
from runlens.api.graphql.errors import format_error
from runlens.api.graphql.schema import build_schema
from runlens.bus import LiveBus
from runlens.control.service import ControlService
from runlens.storage.contract import ApiReader


class RunlensGraphQLRouter(GraphQLRouter[Context, None]):
    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            response["errors"] = [format_error(error) for error in result.errors]
        if result.extensions:
            response["extensions"] = result.extensions
        return response


def build_graphql_router(
    reader: ApiReader,
    options: ApiOptions,
    bus: LiveBus | None = None,
    control: ControlService | None = None,
) -> RunlensGraphQLRouter:
    """Queries over HTTP; subscriptions over WebSocket (`graphql-transport-ws` and the legacy
    `graphql-ws`), live when a bus is given."""
    return RunlensGraphQLRouter(
        build_schema(options.max_query_depth),
        context_getter=context_getter(reader, options, bus, control),
        graphql_ide="graphiql",
    )
