"""The baseline: an OTLP/gRPC receiver that parses each TraceService/Export request and answers
with an empty response, storing nothing. Same gRPC server set-up as runlens' receiver (a thread
pool of 8, requests up to 8 MiB), so the difference between the two is what runlens does.
With `walk` it also reads every attribute value of every span, resource and event (what any
receiver that looks at the data must do at least)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2

_MAX_REQUEST_BYTES = 8 * 1024 * 1024


class _Counter:
    def __init__(self, walk: bool) -> None:
        self.walk = walk
        self.spans = 0
        self._lock = threading.Lock()

    def export(self, body: bytes, context: grpc.ServicerContext) -> bytes:
        request = trace_service_pb2.ExportTraceServiceRequest.FromString(body)
        spans = sum(len(scope.spans) for rs in request.resource_spans for scope in rs.scope_spans)
        if self.walk:
            _walk(request)
        with self._lock:
            self.spans += spans
        return bytes(trace_service_pb2.ExportTraceServiceResponse().SerializeToString())


def _walk(request: trace_service_pb2.ExportTraceServiceRequest) -> int:
    """Read every attribute value; the number of values read."""
    seen = 0
    for resource_spans in request.resource_spans:
        seen += _values(resource_spans.resource.attributes)
        for scope in resource_spans.scope_spans:
            for span in scope.spans:
                seen += _values(span.attributes)
                for event in span.events:
                    seen += _values(event.attributes)
    return seen


def _values(attributes: Iterable[common_pb2.KeyValue]) -> int:
    seen = 0
    for pair in attributes:
        kind = pair.value.WhichOneof("value")
        if kind is not None:
            getattr(pair.value, kind)
            seen += len(pair.key) > 0
    return seen


def null_receiver_main(conn: Connection, walk: bool = False) -> None:
    """Entry point of the spawned receiver: sends its port, serves until told to stop, then
    sends how many spans it parsed. `walk`: read every attribute value too."""
    counter = _Counter(walk)
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
