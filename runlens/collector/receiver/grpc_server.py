"""OTLP/gRPC: TraceService/Export, LogsService/Export and MetricsService/Export."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import grpc
from google.protobuf.message import Message

from runlens.auth.authenticator import (
    Authenticator,
    AuthUnavailable,
    Unauthenticated,
    credential_from,
)
from runlens.collector.ingest import Ingest, Invalid, Unavailable
from runlens.collector.receiver.decode import DecodeError, DecodeLimits
from runlens.collector.receiver.exports import export_logs, export_metrics, export_traces


class _Exports:
    """The Export methods. Requests arrive as raw bytes and are parsed by `exports`, so a
    malformed body gets INVALID_ARGUMENT with a message rather than gRPC's generic
    deserialization error."""

    def __init__(self, ingest: Ingest, limits: DecodeLimits, auth: Authenticator) -> None:
        self._ingest, self._limits, self._auth = ingest, limits, auth

    def _project(self, context: grpc.ServicerContext) -> str:
        return self._auth.project_for(credential_from(context.invocation_metadata()))

    def traces(self, body: bytes, context: grpc.ServicerContext) -> bytes:
        return _call(
            context,
            lambda: export_traces(self._ingest, self._limits, body, False, self._project(context)),
        )

    def logs(self, body: bytes, context: grpc.ServicerContext) -> bytes:
        return _call(
            context,
            lambda: export_logs(self._ingest, self._limits, body, False, self._project(context)),
        )

    def metrics(self, body: bytes, context: grpc.ServicerContext) -> bytes:
        return _call(
            context,
            lambda: export_metrics(self._ingest, self._limits, body, False, self._project(context)),
        )


def _call(context: grpc.ServicerContext, export: Callable[[], Message]) -> bytes:
    try:
        return bytes(export().SerializeToString())
    except Unauthenticated as exc:
        context.abort(grpc.StatusCode.UNAUTHENTICATED, str(exc))
    except (Unavailable, AuthUnavailable) as exc:
        context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
    except (Invalid, DecodeError) as exc:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
    raise AssertionError("context.abort returns only by raising")


def build_grpc_server(
    ingest: Ingest,
    *,
    host: str,
    port: int,
    auth: Authenticator,
    limits: DecodeLimits,
    max_request_bytes: int,
    workers: int,
) -> tuple[grpc.Server, int]:
    """Build (not start) the server; returns it with the port it is bound to."""
    server = grpc.server(
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="runlens-grpc"),
        options=[
            ("grpc.max_receive_message_length", max_request_bytes),
            ("grpc.so_reuseport", 0),
        ],
    )
    exports = _Exports(ingest, limits, auth)
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                "opentelemetry.proto.collector.trace.v1.TraceService",
                {"Export": grpc.unary_unary_rpc_method_handler(exports.traces)},
            ),
            grpc.method_handlers_generic_handler(
                "opentelemetry.proto.collector.logs.v1.LogsService",
                {"Export": grpc.unary_unary_rpc_method_handler(exports.logs)},
            ),
            grpc.method_handlers_generic_handler(
                "opentelemetry.proto.collector.metrics.v1.MetricsService",
                {"Export": grpc.unary_unary_rpc_method_handler(exports.metrics)},
            ),
        )
    )
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot listen for OTLP/gRPC on {host}:{port} (port in use?)")
    return server, bound
