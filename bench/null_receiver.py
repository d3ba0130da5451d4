"""The baseline: an OTLP/gRPC receiver that parses each TraceService/Export request and answers
with an empty response, storing nothing. Same gRPC server set-up as runlens' receiver (a thread
pool of 16, requests up to 8 MiB), so the difference between the two is what runlens does."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

_MAX_REQUEST_BYTES = 8 * 1024 * 1024


class _Counter:
    def __init__(self) -> None:
        self.spans = 0
        self._lock = threading.Lock()

    def export(self, body: bytes, context: grpc.ServicerContext) -> bytes:
        request = trace_service_pb2.ExportTraceServiceRequest.FromString(body)
        spans = sum(len(scope.spans) for rs in request.resource_spans for scope in rs.scope_spans)
        with self._lock:
            self.spans += spans
        return bytes(trace_service_pb2.ExportTraceServiceResponse().SerializeToString())


def null_receiver_main(conn: Connection) -> None:
    """Entry point of the spawned receiver: sends its port, serves until told to stop, then
    sends how many spans it parsed."""
    counter = _Counter()
    server = grpc.server(
        ThreadPoolExecutor(max_workers=8),
        options=[("grpc.max_receive_message_length", _MAX_REQUEST_BYTES), ("grpc.so_reuseport", 0)],
    )
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                "opentelemetry.proto.collector.trace.v1.TraceService",
                {"Export": grpc.unary_unary_rpc_method_handler(counter.export)},
            ),
        )
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    conn.send(port)
    conn.recv()  # any message means stop
    server.stop(grace=5).wait(10)
    conn.send(counter.spans)
