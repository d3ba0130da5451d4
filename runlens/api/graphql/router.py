"""The `/graphql` endpoint: Strawberry's FastAPI router (GraphiQL on GET, subscriptions over
WebSocket) whose responses carry `extensions.code` on every error (errors.py)."""

from __future__ import annotations

from typing import Any, cast

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.exceptions import ConnectionRejectionError
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from runlens.api.auth import AuthFailure, resolve_project
from runlens.api.graphql.context import ApiOptions, Context, context_getter
from runlens.api.graphql.errors import format_error
from runlens.api.graphql.schema import build_schema
from runlens.api.graphql.timing import OnOperation
from runlens.api.web import WebAssets
from runlens.auth.authenticator import Authenticator
from runlens.bus import LiveBus
from runlens.control.service import ControlService
from runlens.storage.contract import ApiReader

_ACK = cast(UnsetType, UNSET)  # acknowledge without a payload


class RunlensGraphQLRouter(GraphQLRouter[Context, None]):
    def __init__(self, auth: Authenticator, ide: WebAssets | None, **kwargs: Any) -> None:
        super().__init__(graphql_ide="graphiql" if ide else None, **kwargs)
        self._auth, self._ide = auth, ide

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """GraphiQL from the vendored files: nothing loaded from elsewhere."""
        assert self._ide is not None
        headers = {"Content-Security-Policy": self._ide.graphiql_csp, "Cache-Control": "no-cache"}
        return HTMLResponse(self._ide.graphiql_html, headers=headers)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticate a WebSocket from its connection payload; a bad key closes it (4403
        on `graphql-transport-ws`, `connection_error` on `graphql-ws`)."""
        if context.authenticated:
            return _ACK
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        try:
            context.authenticate(await resolve_project(self._auth, params.items()))
        except AuthFailure as exc:
            raise ConnectionRejectionError({"code": exc.code, "message": exc.message}) from exc
        return _ACK

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """An answer over HTTP, encoded by orjson (several times faster than `json.dumps` on
        a page of runs or events); WebSocket messages keep Strawberry's text encoding."""
        try:
            body = orjson.dumps(response_data)
        except TypeError:  # orjson.JSONEncodeError: an integer past 64 bits in a JSON payload
            encoded = self.encode_json(response_data)
            body = encoded if isinstance(encoded, bytes) else encoded.encode()
        response = Response(
            body, media_type="application/json", status_code=sub_response.status_code or 200
        )
        response.headers.raw.extend(sub_response.headers.raw)
        return response

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
    auth: Authenticator,
    bus: LiveBus | None = None,
    control: ControlService | None = None,
    *,
    on_operation: OnOperation | None = None,
    ide: WebAssets | None = None,
) -> RunlensGraphQLRouter:
    """Queries over HTTP; subscriptions over WebSocket (`graphql-transport-ws` and the legacy
    `graphql-ws`), live when a bus is given; GraphiQL on GET when `ide` is given."""
    return RunlensGraphQLRouter(
        auth,
        ide,
        schema=build_schema(options.max_query_depth, options.max_query_aliases, on_operation),
        context_getter=context_getter(reader, options, auth, bus, control),
    )
