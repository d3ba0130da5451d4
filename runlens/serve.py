"""The composition root of `runlens serve`: one store, the ingest pipeline, both OTLP receivers
and the HTTP API, all in this process (chDB allows one process per data directory). With a
ClickHouse server, `--role collector` runs only the receivers and ingest, `--role api` only the
HTTP API, its live bus fed by a store follower; processes of both roles share nothing but
ClickHouse."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

import grpc
import uvicorn
from fastapi import FastAPI

from runlens import local_admin
from runlens.api.app import AdminDoor, build_api_app, build_health_app
from runlens.api.graphql.context import ApiOptions
from runlens.api.guard import allowed_hosts
from runlens.auth.authenticator import Authenticator
from runlens.bus import LiveBus
from runlens.collector.ingest import Ingest
from runlens.collector.pipeline import IngestPipeline
from runlens.collector.progress import ProgressReporter
from runlens.collector.receiver.decode import DecodeLimits
from runlens.collector.receiver.grpc_server import build_grpc_server
from runlens.collector.receiver.http_app import build_otlp_http_app
from runlens.control.budgets import BudgetGuard
from runlens.control.service import ControlService
from runlens.follower import StoreFollower
from runlens.metrics import MeteredWriter, Metrics
from runlens.semconv.pricing import PriceTable
from runlens.semconv.redaction import Redactor
from runlens.settings import Settings
from runlens.storage.clickhouse.sql_door import ReadOnlySql
from runlens.storage.clickhouse.store import ClickHouseStore, chdb_path
from runlens.storage.contract import IngestWriter, RunKey, StorageError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Endpoints:
    host: str
    grpc_port: int | None  # None: this role receives no OTLP
    otlp_http_port: int | None
    api_port: int
    data_location: str
    role: str = "all"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def ui_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.api_port}/"

    @property
    def otlp_grpc_url(self) -> str:
        return f"http://{self.host}:{_served(self.grpc_port, self.role)}"

    @property
    def otlp_http_url(self) -> str:
        return f"http://{self.host}:{_served(self.otlp_http_port, self.role)}"


def _served(port: int | None, role: str) -> int:
    if port is None:
        raise RuntimeError(f"a runlens with role {role!r} receives no OTLP")
    return port


class Server:
    """Start with `start()` (returns once every listener accepts), end with `stop()`."""

    def __init__(
        self,
        settings: Settings,
        bus: LiveBus | None = None,
        writer: Callable[[ClickHouseStore], IngestWriter] | None = None,
    ) -> None:
        """`writer` wraps the store where the pipeline writes (tests slow it down with it).
        The `bus` of an API-role server is fed by a store follower: `LiveBus(followed=True)`."""
        self._settings = settings
        self.bus = bus or LiveBus(followed=settings.role == "api")
        self.metrics = Metrics()
        self._writer = writer
        self._store: ClickHouseStore | None = None
        self._pipeline: IngestPipeline | None = None
        self._follower: StoreFollower | None = None
        self._progress: ProgressReporter | None = None
        self._grpc: grpc.Server | None = None
        self._http: HttpServers | None = None
        self._sql: ReadOnlySql | None = None
        self._published: tuple[str, str] | None = None  # data directory, admin token

    def start(self) -> Endpoints:
        """Start what the settings' role runs: `all` (the default), `collector` (receivers,
        ingest; `/healthz` and `/metrics` on the API port) or `api` (the HTTP API; a store
        follower publishes what the collectors store on its live bus)."""
        s = self._settings
        self._store = store = ClickHouseStore.open(
            s.clickhouse_url, retention_days=s.retention_days
        )
        control = ControlService(
            store, store, expiry_s=s.command_expiry_s, on_change=self._command_changed
        )
        auth = Authenticator(
            store, required=s.auth_required, default_project=s.project, cache_s=s.key_cache_s
        )
        prices = PriceTable.load(s.price_table)
        grpc_port = otlp_port = None
        apps: list[tuple[FastAPI, socket.socket]] = []
        if s.role != "api":
            grpc_port, otlp_app = self._start_ingest(store, control, auth, prices)
            apps.append((otlp_app, listen(s.host, s.otlp_http_port)))
            otlp_port = apps[0][1].getsockname()[1]
        if s.role == "api":
            self._follower = StoreFollower(store, self.bus)
            self._follower.start()
            self.metrics.watch(bus=self.bus)
        token = local_admin.new_token()
        if s.role == "collector":
            api_app = build_health_app(store, self.metrics)
        else:
            self._sql = ReadOnlySql(s.clickhouse_url)
            api_app = build_api_app(
                store,
                ApiOptions(
                    agent_budgets_usd=dict(s.agent_budgets_usd),
                    intervention_threshold=s.intervention_threshold,
                    max_query_depth=s.max_query_depth,
                    max_query_aliases=s.max_query_aliases,
                    max_page_size=s.max_page_size,
                    export_rate_per_min=s.export_rate_per_min,
                    export_burst=s.export_burst,
                    prices=prices,
                ),
                bus=self.bus,
                control=control,
                auth=auth,
                metrics=self.metrics,
                admin=AdminDoor(token=token, keys=store, sql=self._sql),
                allowed_hosts=allowed_hosts(s.host, s.allowed_host_names),
            )
        api_sock = listen(s.host, s.port)
        self._http = HttpServers([*apps, (api_app, api_sock)])
        self._http.start()
        data_dir = chdb_path(s.clickhouse_url)
        if data_dir is not None and s.role != "collector":
            # CLI commands reach the locked embedded store through this server
            url = local_admin.loopback_url(s.host, api_sock.getsockname()[1])
            local_admin.publish(data_dir, local_admin.AdminDoor(url, token, os.getpid()))
            self._published = (data_dir, token)
        return Endpoints(
            host=s.host,
            grpc_port=grpc_port,
            otlp_http_port=otlp_port,
            api_port=api_sock.getsockname()[1],
            data_location=data_location(s.clickhouse_url),
            role=s.role,
        )

    def _start_ingest(
        self,
        store: ClickHouseStore,
        control: ControlService,
        auth: Authenticator,
        prices: PriceTable,
    ) -> tuple[int, FastAPI]:
        """The pipeline and the gRPC receiver (started), and the OTLP/HTTP app."""
        s = self._settings
        budgets = BudgetGuard(store, control, s.agent_budgets_usd)
        writer = MeteredWriter(
            self._writer(store) if self._writer is not None else store, self.metrics
        )
        self._pipeline = pipeline = IngestPipeline(
            writer,
            max_queued=s.queue_max_spans,
            max_batch=s.batch_max_spans,
            run_timeout_s=s.run_timeout_s,
            sweep_interval_s=s.sweep_interval_s,
            refresh_gap_s=s.refresh_gap_s,
            bus=self.bus,
            after_refresh=budgets.check if s.agent_budgets_usd else None,
        )
        if s.role == "collector" or not s.clickhouse_url.startswith("chdb://"):
            # API processes may follow this store: tell them how far this one has stored
            self._progress = ProgressReporter(store, pipeline)
            self._progress.register()
        pipeline.start()
        if self._progress is not None:
            self._progress.start()
        self.metrics.watch(queued=lambda: pipeline.queued, bus=self.bus, writer=writer)
        ingest = Ingest(
            pipeline,
            prices,
            s.write_timeout_s,
            retention_days=s.retention_days,
            redactor=Redactor(s.redaction_rules),
            metrics=self.metrics,
            metric_points=store,
        )
        limits = DecodeLimits(
            max_attribute_bytes=s.max_attribute_bytes,
            max_span_attributes=s.max_span_attributes,
            max_span_events=s.max_span_events,
        )
        self._grpc, grpc_port = build_grpc_server(
            ingest,
            host=s.host,
            port=s.grpc_port,
            auth=auth,
            limits=limits,
            max_request_bytes=s.max_request_bytes,
            workers=s.grpc_workers,
        )
        self._grpc.start()
        otlp_app = build_otlp_http_app(
            ingest, auth=auth, limits=limits, max_request_bytes=s.max_request_bytes
        )
        return grpc_port, otlp_app

    def _command_changed(self, run: RunKey) -> None:
        """A control command changed the run: refresh its summary (with ingest in this
        process, through the pipeline, which publishes the refresh; else at once)."""
        if self._pipeline is not None:
            self._pipeline.request_refresh([run])
        elif self._store is not None:
            try:
                self._store.refresh_runs([run])
            except StorageError:
                log.warning("refreshing the summary of run %s failed", run.run_id, exc_info=True)

    def stop(self) -> None:
        """Stop accepting, let in-flight exports finish, store what was accepted, close."""
        if self._published is not None:
            local_admin.withdraw(*self._published)
        if self._grpc is not None:
            self._grpc.stop(grace=5).wait()
        if self._http is not None:
            self._http.stop()
        if self._pipeline is not None:
            self._pipeline.stop()
        if self._progress is not None:
            self._progress.stop()
        if self._follower is not None:
            self._follower.stop()
        if self._sql is not None:
            self._sql.close()
        if self._store is not None:
            self._store.close()


class HttpServers:
    """ASGI apps served by uvicorn on already-bound sockets, in one background event loop."""

    def __init__(self, apps: list[tuple[FastAPI, socket.socket]]) -> None:
        self._servers = [
            uvicorn.Server(
                uvicorn.Config(
                    app,
                    log_level="warning",
                    lifespan="off",
                    access_log=False,
                    # Live events are small and many: per-message deflate cost ~20% of the
                    # event loop under load for little gain on loopback and LANs.
                    ws_per_message_deflate=False,
                )
            )
            for app, _ in apps
        ]
        self._sockets = [sock for _, sock in apps]
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._serve()), name="runlens-http", daemon=True
        )

    async def _serve(self) -> None:
        pairs = zip(self._servers, self._sockets, strict=True)
        await asyncio.gather(*(server.serve(sockets=[sock]) for server, sock in pairs))

    def start(self) -> None:
        """Return once every server accepts connections."""
        self._thread.start()
        while not all(server.started for server in self._servers):
            if not self._thread.is_alive():
                raise RuntimeError("the HTTP listeners failed to start (see the log above)")
            self._thread.join(0.01)

    def stop(self) -> None:
        for server in self._servers:
            server.should_exit = True
        self._thread.join(10)


def keep_gc_out_of_requests() -> None:
    """Call once the server has started. What starting allocated (modules, the GraphQL schema,
    protobuf descriptors, the store) moves to the garbage collector's permanent generation, so
    a full collection no longer walks it: measured, those walks paused a request for ~100 ms
    every other `compareRuns`. Young collections run every 50,000 allocations instead of 700,
    so a request that builds thousands of objects triggers a few instead of dozens."""
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def listen(host: str, port: int) -> socket.socket:
    # IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets it knows are TCP,
    # and with Nagle on every keep-alive response waits ~40 ms for the client's delayed ACK.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(512)
    return sock


def data_location(dsn: str) -> str:
    """Where the data lives, for the start banner: the embedded directory, or the server (the
    URL without its credentials)."""
    if dsn.startswith("chdb://"):
        return chdb_path(dsn) or "in memory (embedded, not kept)"
    return dsn.rsplit("@", maxsplit=1)[-1]
