"""The HTTP API application: the web UI at `/`, `/healthz`, `/metrics`, GraphQL at `/graphql`
(GraphiQL on GET, subscriptions over WebSocket), `/export/runs`, with a control service the
agents' `/control` endpoints, and with an admin door (`AdminDoor`) the local administrator's
`/admin/keys` and the read-only SQL door `/clickhouse`; all behind the browser guard
(guard.py)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from runlens import __version__
from runlens.api.admin import build_admin_router
from runlens.api.auth import install_auth_errors, project_dependency
from runlens.api.clickhouse_http import build_clickhouse_router
from runlens.api.control import build_control_router
from runlens.api.export import build_export_router
from runlens.api.export_output import build_output_router
from runlens.api.graphql.context import ApiOptions
from runlens.api.graphql.router import build_graphql_router
from runlens.api.guard import BrowserGuard
from runlens.api.rate_limit import RateLimiter
from runlens.api.web import WebAssets, build_web_router
from runlens.auth.authenticator import Authenticator
from runlens.bus import LiveBus
from runlens.control.service import ControlService
from runlens.metrics import CONTENT_TYPE, Metrics
from runlens.storage.contract import ApiReader, RunReader, StorageError
from runlens.storage.keys import KeyStore
from runlens.storage.sql import SqlReader


@dataclass(frozen=True, slots=True)
class AdminDoor:
    """What the administrator's endpoints serve, and the token that opens them."""

    token: str
    keys: KeyStore
    sql: SqlReader


def build_api_app(
    reader: ApiReader,
    options: ApiOptions | None = None,
    *,
    bus: LiveBus | None = None,
    control: ControlService | None = None,
    auth: Authenticator | None = None,
    metrics: Metrics | None = None,
    admin: AdminDoor | None = None,
    allowed_hosts: frozenset[str] | None = None,
) -> FastAPI:
    """Without a bus the subscriptions answer UNAVAILABLE; without a control service the
    mutations do, and there are no `/control` endpoints. Without an authenticator every
    request goes to the project `default`. With metrics, `GET /metrics` serves them (in
    Prometheus text format, without a key: they hold no project's data). `allowed_hosts` None
    answers any Host header (`runlens serve` always passes the hosts it is bound to)."""
    app = build_health_app(reader, metrics)
    web = WebAssets.load()
    app.add_middleware(BrowserGuard, hosts=allowed_hosts, csp=web.csp)
    auth = auth or Authenticator.disabled()
    project = project_dependency(auth)
    install_auth_errors(app)
    options = options or ApiOptions()
    on_operation = metrics.operation if metrics is not None else None
    graphql = build_graphql_router(
        reader, options, auth, bus, control, on_operation=on_operation, ide=web
    )
    app.include_router(graphql, prefix="/graphql")
    limiter = RateLimiter(options.export_rate_per_min, options.export_burst)
    app.include_router(build_export_router(reader, project, limiter))
    app.include_router(build_output_router(reader, project))
    if control is not None:
        app.include_router(build_control_router(control, project), prefix="/control")
    if admin is not None:
        # Not in the OpenAPI document: a local administrator's door and ClickHouse's protocol.
        admin_routes = build_admin_router(admin.keys, auth, admin.token)
        app.include_router(admin_routes, prefix="/admin", include_in_schema=False)
        sql_routes = build_clickhouse_router(admin.sql, auth, admin.token)
        app.include_router(sql_routes, prefix="/clickhouse", include_in_schema=False)
    app.include_router(build_web_router(web))  # last: its client routes fall back to the UI
    return app


def build_health_app(reader: RunReader, metrics: Metrics | None = None) -> FastAPI:
    """`/healthz` and, with metrics, `/metrics`: all the HTTP a collector-only process serves
    on the API port."""
    app = FastAPI(title="runlens", version=__version__, docs_url=None, redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """200 once the store answers queries, 503 (with the reason) otherwise."""
        try:
            await run_in_threadpool(reader.ping)
        except StorageError as exc:
            return JSONResponse({"status": "unavailable", "error": str(exc)}, status_code=503)
        return JSONResponse({"status": "ok", "version": __version__})

    if metrics is not None:

        @app.get("/metrics", include_in_schema=False)
        async def prometheus_metrics() -> Response:
            """The server's metrics in Prometheus text format (docs/operations.md)."""
            body = await run_in_threadpool(metrics.exposition)
            return Response(body, media_type=CONTENT_TYPE)

    return app
