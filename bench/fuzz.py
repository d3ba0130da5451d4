"""Live-server fuzzing: malformed OTLP protobuf and OTLP/JSON against a real `runlens serve`.

    python -m bench.fuzz --payloads 10000          (`make fuzz`)

Starts `runlens serve` on a fresh embedded store (ports 0, 1 MiB request limit) and sends
generated payloads over OTLP/gRPC and OTLP/HTTP, each with a timeout: mutations of the real
client captures in tests/fixtures/real-clients (bit flips, truncation, splices, random bytes,
wrong wire types, hostile but well-formed messages) and OTLP/JSON with wrong types, bad ids,
huge numbers, deep nesting and invalid UTF-8, sent with right and wrong content types and
encodings. Every reply must be a success (possibly partial) or a proper error: gRPC
INVALID_ARGUMENT / RESOURCE_EXHAUSTED / UNAVAILABLE, HTTP 400 / 413 / 415 with a
`google.rpc.Status` body in the request's encoding, or 503 with `Retry-After`. Afterwards the
server must still be running, answer `/healthz` and store a valid span. Prints the replies per
class and transport; exits 1 on any violation (unexpected status, timeout, crash).
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import httpx
from google.protobuf.message import DecodeError as ProtobufDecodeError
from google.protobuf.message import Message
from google.rpc import status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from bench.serve_process import ServeProcess
from runlens.collector.receiver.utf8_repair import length_delimited as wire
from runlens.serve import Endpoints

CAPTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "real-clients"
GRPC_METHODS = {
    "traces": "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    "logs": "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
}
PROTOBUF, JSON = "application/x-protobuf", "application/json"
MAX_REQUEST_BYTES = 1024 * 1024  # the limit the fuzzed server runs with
GRPC_OK_ERRORS = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.UNAVAILABLE,
}
HTTP_ERRORS = {400, 413, 415, 503}


@dataclass(frozen=True, slots=True)
class Payload:
    transport: str  # grpc | http
    signal: str  # traces | logs
    body: bytes
    mutation: str
    content_type: str | None = None  # http only; None sends no content-type header
    content_encoding: str | None = None


@dataclass(slots=True)
class FuzzReport:
    replies: Counter[tuple[str, str]] = field(default_factory=Counter)  # (transport, class)
    mutations: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def sent(self) -> int:
        return sum(self.replies.values())


# ---------------------------------------------------------------------------------------------
# Corpus and mutations


@dataclass(frozen=True, slots=True)
class Corpus:
    json_docs: dict[str, list[dict[str, Any]]]  # per signal
    protobuf: dict[str, list[bytes]]

    @classmethod
    def load(cls, root: Path = CAPTURES) -> Corpus:
        json_docs: dict[str, list[dict[str, Any]]] = {"traces": [], "logs": []}
        protobuf: dict[str, list[bytes]] = {"traces": [], "logs": []}
        for path in sorted(root.glob("*/*.json")):
            if path.name.endswith("metrics.json"):
                continue
            signal = "logs" if path.name.endswith(".logs.json") else "traces"
            document = json.loads(path.read_text())
            json_docs[signal].append(document)
            protobuf[signal].append(_to_protobuf(signal, document).SerializeToString())
        if not json_docs["traces"] or not json_docs["logs"]:
            raise RuntimeError(f"no OTLP captures under {root}")
        return cls(json_docs, protobuf)


def _to_protobuf(signal: str, document: dict[str, Any]) -> Message:
    from runlens.collector.receiver.decode import parse_logs, parse_traces

    body = json.dumps(document).encode()
    return (
        parse_logs(body, json_encoded=True)
        if signal == "logs"
        else parse_traces(body, json_encoded=True)
    )


def _flip_bits(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(max(1, len(data)))]


def _splice(rng: random.Random, a: bytes, b: bytes) -> bytes:
    return a[: rng.randrange(len(a) + 1)] + b[rng.randrange(len(b) + 1) :]


def _wire_types(rng: random.Random, data: bytes) -> bytes:
    """Rewrite the wire-type bits of a few bytes (tags become the wrong type, or invalid 6/7)."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if out:
            at = rng.randrange(len(out))
            out[at] = (out[at] & 0xF8) | rng.randrange(8)
    return bytes(out)


def _huge_varint(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data) + 1)
    junk = rng.choice([b"\xff" * 10 + b"\x01", b"\x80" * 11, b"\x0a\xff\xff\xff\xff\x0f"])
    return data[:at] + junk + data[at:]


def _hostile_message(rng: random.Random, signal: str, corpus: Corpus) -> bytes:
    """A well-formed message whose fields are not: bad ids, extreme times, deep values."""
    body = rng.choice(corpus.protobuf[signal])
    message: Any = ExportLogsServiceRequest() if signal == "logs" else ExportTraceServiceRequest()
    message.ParseFromString(body)
    groups = message.resource_logs if signal == "logs" else message.resource_spans
    for group in groups:
        scopes = group.scope_logs if signal == "logs" else group.scope_spans
        for scope in scopes:
            items = scope.log_records if signal == "logs" else scope.spans
            for item in items:
                choice = rng.randrange(7)
                if choice == 0:
                    item.trace_id = rng.randbytes(rng.choice([0, 1, 15, 17, 32]))
                elif choice == 1:
                    item.span_id = rng.choice([b"\x00" * 8, rng.randbytes(rng.randrange(12))])
                elif choice == 2 and signal == "traces":
                    item.start_time_unix_nano = rng.choice([0, 2**63, 2**64 - 1])
                    item.end_time_unix_nano = rng.choice([1, 2**63 - 1, 2**64 - 1])
                elif choice == 2:
                    item.time_unix_nano = rng.choice([0, 2**63, 2**64 - 1])
                    item.severity_number = rng.choice([0, 25, 255, 256, 2**31 - 1])
                elif choice == 3:
                    item.attributes.add(key="deep").value.MergeFromString(
                        _deep_value(rng.randint(1, 40))
                    )
                elif choice == 4:
                    value = item.attributes.add(
                        key=rng.choice(["gen_ai.usage.input_tokens", "code.lineno", "x"])
                    ).value
                    value.double_value = rng.choice([float("nan"), float("inf"), -1e308, 1e308])
                elif choice == 5:
                    value = item.attributes.add(key="gen_ai.input.messages").value
                    value.string_value = rng.choice(["\ud7ff\ufffe\u202e" * 100, "[{" * 300])
                else:
                    value = item.attributes.add(key="blob").value
                    value.bytes_value = rng.randbytes(rng.randrange(4096))
    return bytes(message.SerializeToString())


def _deep_value(depth: int) -> bytes:
    """An AnyValue nested `depth` arrays deep, serialized by hand (the library refuses to
    build what it would refuse to parse)."""
    value = AnyValue(string_value="leaf").SerializeToString()
    for _ in range(depth):
        value = wire(5, wire(1, value))  # AnyValue.array_value → ArrayValue.values
    return bytes(value)


def _deep_request(rng: random.Random, signal: str) -> bytes:
    """A request whose one attribute value is nested deeper than any sane client sends."""
    attribute = wire(1, b"deep") + wire(2, _deep_value(rng.choice([5, 40, 60, 500, 5000])))
    if signal == "logs":  # LogRecord.attributes 6, ScopeLogs.log_records 2, ResourceLogs 2, 1
        return wire(1, wire(2, wire(2, wire(6, attribute))))
    span = wire(1, rng.randbytes(16)) + wire(2, rng.randbytes(8)) + wire(9, attribute)
    return wire(1, wire(2, wire(2, span)))  # Span in ScopeSpans in ResourceSpans


def _json_wrong_type(rng: random.Random, document: Any) -> Any:
    """Replace a random node of the document by a value of another type."""
    doc = json.loads(json.dumps(document))
    nodes: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                nodes.append((node, key))
                walk(value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                nodes.append((node, index))
                walk(value)

    walk(doc)
    for _ in range(rng.randint(1, 4)):
        if nodes:
            parent, key = rng.choice(nodes)
            parent[key] = rng.choice(
                [None, True, -1, 2**70, 1.5e300, "", "x" * 50, [], {}, [1, "a"], {"a": {}}]
            )
    return doc


def _json_bad_ids(rng: random.Random, document: Any) -> Any:
    bad: list[Any] = ["zz" * 8, "abc", "0" * 32, "0" * 16, "", 12345, None, ["aa"], "ä" * 16]
    bad += ["a" * 33, base64.b64encode(rng.randbytes(16)).decode()]
    doc = json.loads(json.dumps(document))
    for group in doc.get("resourceSpans", doc.get("resourceLogs", [])):
        for scope in group.get("scopeSpans", group.get("scopeLogs", [])):
            for item in scope.get("spans", scope.get("logRecords", [])):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if rng.random() < 0.4:
                        item[key] = rng.choice(bad)
    return doc


def _json_huge_numbers(rng: random.Random, document: Any) -> Any:
    huge: list[Any] = [2**64, -(2**64), "18446744073709551616", "-1", 1e400, "1e400", "NaN"]
    huge += [-1, 2**63, "0x10", 10**40, "\uff19"]  # fullwidth nine
    doc = json.loads(json.dumps(document))
    for group in doc.get("resourceSpans", doc.get("resourceLogs", [])):
        for scope in group.get("scopeSpans", group.get("scopeLogs", [])):
            for item in scope.get("spans", scope.get("logRecords", [])):
                for key in ("startTimeUnixNano", "endTimeUnixNano", "timeUnixNano", "kind",
                            "severityNumber", "droppedAttributesCount"):  # fmt: skip
                    if rng.random() < 0.3:
                        item[key] = rng.choice(huge)
                for attribute in item.get("attributes", []):
                    if rng.random() < 0.2:
                        attribute["value"] = rng.choice(
                            [{"intValue": rng.choice(huge)}, {"doubleValue": rng.choice(huge)}]
                        )
    return doc


def _json_deep(rng: random.Random, signal: str) -> bytes:
    depth = rng.choice([10, 60, 200, 1000, 5000, 50_000])
    opener = rng.choice([b"[", b'{"a":', b'{"arrayValue":{"values":['])
    outer = b'{"resourceLogs":' if signal == "logs" else b'{"resourceSpans":'
    return outer + opener * depth + b"]" * depth + b"}"


def _invalid_utf8(rng: random.Random, body: bytes) -> bytes:
    junk = rng.choice([b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x00"])
    at = rng.randrange(len(body) + 1)
    if rng.random() < 0.5:
        return body[:at] + junk + body[at:]
    return body.replace(b'"stringValue": "', b'"stringValue": "\\ud800' + junk.hex().encode(), 3)


def generate(rng: random.Random, corpus: Corpus) -> Payload:
    """One malformed (or hostile but valid) payload."""
    signal = rng.choice(("traces", "traces", "logs"))
    transport = rng.choice(("grpc", "http"))
    pb = rng.choice(corpus.protobuf[signal])
    doc = rng.choice(corpus.json_docs[signal])
    protobuf_mutations: dict[str, Callable[[], bytes]] = {
        "pb-bitflip": lambda: _flip_bits(rng, pb),
        "pb-truncate": lambda: _truncate(rng, pb),
        "pb-splice": lambda: _splice(rng, pb, rng.choice(corpus.protobuf[signal])),
        "pb-random": lambda: rng.randbytes(rng.randrange(2048)),
        "pb-wire-type": lambda: _wire_types(rng, pb),
        "pb-huge-varint": lambda: _huge_varint(rng, pb),
        "pb-hostile-fields": lambda: _hostile_message(rng, signal, corpus),
        "pb-deep-nesting": lambda: _deep_request(rng, signal),
    }
    json_mutations: dict[str, Callable[[], bytes]] = {
        "json-wrong-type": lambda: json.dumps(_json_wrong_type(rng, doc)).encode(),
        "json-bad-id": lambda: json.dumps(_json_bad_ids(rng, doc)).encode(),
        "json-huge-number": lambda: json.dumps(_json_huge_numbers(rng, doc)).encode(),
        "json-deep-nesting": lambda: _json_deep(rng, signal),
        "json-invalid-utf8": lambda: _invalid_utf8(rng, json.dumps(doc).encode()),
        "json-bitflip": lambda: _flip_bits(rng, json.dumps(doc).encode()),
        "json-truncate": lambda: _truncate(rng, json.dumps(doc).encode()),
    }
    use_json = rng.random() < 0.45 if transport == "http" else rng.random() < 0.1
    mutations = json_mutations if use_json else protobuf_mutations
    mutation = rng.choice(sorted(mutations))
    body = mutations[mutation]()
    if rng.random() < 0.01:
        mutation, body = "oversized", body + b"\x00" * (MAX_REQUEST_BYTES + 1)
    if transport == "grpc":
        return Payload("grpc", signal, body, mutation)
    content_type: str | None = JSON if use_json else PROTOBUF
    encoding: str | None = None
    roll = rng.random()
    if roll < 0.06:
        mutation += "+content-type"
        content_type = rng.choice(
            [None, "text/plain", "application/protobuf", "application/grpc", "multipart/form-data",
             PROTOBUF if use_json else JSON, "application/json; charset=latin-1"]
        )  # fmt: skip
    elif roll < 0.16:
        mutation += "+gzip"
        body, encoding = gzip.compress(body, compresslevel=1), "gzip"
    elif roll < 0.20:
        mutation += "+bad-encoding"
        encoding = rng.choice(["gzip", "br", "deflate", "zstd", "gzip, gzip", "x" * 300])
        if encoding == "gzip" and rng.random() < 0.5:
            body = gzip.compress(body)[: rng.randrange(30)]
    return Payload("http", signal, body, mutation, content_type, encoding)


# ---------------------------------------------------------------------------------------------
# Sending and judging replies


class Sender:
    """Sends payloads to one server and judges each reply."""

    def __init__(self, endpoints: Endpoints, timeout_s: float) -> None:
        self._endpoints = endpoints
        self._timeout = timeout_s
        self._channel = grpc.insecure_channel(
            f"{endpoints.host}:{endpoints.grpc_port}",
            options=[("grpc.max_send_message_length", 64 * 1024 * 1024)],
        )
        self._local = threading.local()
        self._http_clients: list[httpx.Client] = []
        self._lock = threading.Lock()

    def close(self) -> None:
        self._channel.close()
        for client in self._http_clients:
            client.close()

    def _http(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = httpx.Client(timeout=self._timeout)
            self._local.client = client
            with self._lock:
                self._http_clients.append(client)
        return client

    def send(self, payload: Payload) -> tuple[str, str | None]:
        """(reply class, violation or None)."""
        if payload.transport == "grpc":
            return self._send_grpc(payload)
        return self._send_http(payload)

    def _send_grpc(self, payload: Payload) -> tuple[str, str | None]:
        call = self._channel.unary_unary(GRPC_METHODS[payload.signal])
        try:
            reply = call(payload.body, timeout=self._timeout)
        except grpc.RpcError as exc:
            code = exc.code()
            name = f"{code.name}"
            if code in GRPC_OK_ERRORS:
                return name, None
            details = exc.details()
            return name, f"grpc {payload.mutation}: {name} {details!r}"
        response: Message = (
            ExportLogsServiceResponse()
            if payload.signal == "logs"
            else ExportTraceServiceResponse()
        )
        try:
            response.ParseFromString(reply)
        except ProtobufDecodeError:
            return "OK", f"grpc {payload.mutation}: undecodable OK reply"
        return ("OK partial" if response.HasField("partial_success") else "OK"), None

    def _send_http(self, payload: Payload) -> tuple[str, str | None]:
        headers: dict[str, str] = {}
        if payload.content_type is not None:
            headers["content-type"] = payload.content_type
        if payload.content_encoding is not None:
            headers["content-encoding"] = payload.content_encoding
        url = f"{self._endpoints.otlp_http_url}/v1/{payload.signal}"
        try:
            response = self._http().post(url, content=payload.body, headers=headers)
        except httpx.TimeoutException:
            return "timeout", f"http {payload.mutation}: no reply within {self._timeout:g} s"
        except httpx.TransportError as exc:
            return "transport error", f"http {payload.mutation}: {exc!r}"
        code = response.status_code
        name = str(code)
        if code == 200:
            return _http_success(payload, response)
        if code not in HTTP_ERRORS:
            return name, f"http {payload.mutation}: unexpected {code} {response.text[:200]!r}"
        if code == 503 and not response.headers.get("retry-after"):
            return name, f"http {payload.mutation}: 503 without Retry-After"
        if not _status_message(response):
            return name, f"http {payload.mutation}: {code} without a google.rpc.Status message"
        return name, None


def _http_success(payload: Payload, response: httpx.Response) -> tuple[str, str | None]:
    if response.headers.get("content-type", "").startswith(JSON):
        try:
            partial = "partialSuccess" in response.json()
        except ValueError:
            return "200", f"http {payload.mutation}: undecodable JSON 200 reply"
    else:
        message: Message = (
            ExportLogsServiceResponse()
            if payload.signal == "logs"
            else ExportTraceServiceResponse()
        )
        try:
            message.ParseFromString(response.content)
        except ProtobufDecodeError:
            return "200", f"http {payload.mutation}: undecodable protobuf 200 reply"
        partial = message.HasField("partial_success")
    return ("200 partial" if partial else "200"), None


def _status_message(response: httpx.Response) -> str:
    if response.headers.get("content-type", "").startswith(JSON):
        try:
            body = response.json()
        except ValueError:
            return ""
        return str(body.get("message", "")) if isinstance(body, dict) else ""
    try:
        return str(status_pb2.Status.FromString(response.content).message)
    except ProtobufDecodeError:
        return ""


# ---------------------------------------------------------------------------------------------
# The run


def run_fuzz(
    endpoints: Endpoints,
    payloads: int,
    *,
    seed: int = 0,
    workers: int = 4,
    timeout_s: float = 30.0,
    alive: Callable[[], bool] | None = None,
) -> FuzzReport:
    """Send `payloads` generated payloads from `workers` threads; judge every reply."""
    corpus = Corpus.load()
    report = FuzzReport()
    lock = threading.Lock()
    sender = Sender(endpoints, timeout_s)
    started = time.monotonic()

    def one(index: int) -> None:
        payload = generate(random.Random(seed * 1_000_003 + index), corpus)
        reply, violation = sender.send(payload)
        with lock:
            report.replies[(payload.transport, reply)] += 1
            report.mutations[payload.mutation.split("+")[0]] += 1
            if violation is not None:
                report.violations.append(f"#{index} {violation}")

    try:
        with ThreadPoolExecutor(workers, thread_name_prefix="fuzz") as pool:
            for done in pool.map(one, range(payloads)):
                del done
                if alive is not None and not alive():
                    report.violations.append("the server process exited during the run")
                    break
    finally:
        sender.close()
    report.seconds = time.monotonic() - started
    return report


VALID_TRACE_ID = "5b8efff798038103d269b633813fc60c"


def check_after(
    endpoints: Endpoints, timeout_s: float = 30.0, span_id: str | None = None
) -> list[str]:
    """The server still answers /healthz and stores a valid span; returns violations."""
    problems: list[str] = []
    health = httpx.get(f"{endpoints.api_url}/healthz", timeout=timeout_s)
    if health.status_code != 200:
        problems.append(f"/healthz answered {health.status_code} after the run")
    request = valid_trace_request(span_id=span_id or random.Random().randbytes(8).hex())
    with grpc.insecure_channel(f"{endpoints.host}:{endpoints.grpc_port}") as channel:
        call = channel.unary_unary(GRPC_METHODS["traces"])
        try:
            reply = ExportTraceServiceResponse.FromString(
                call(request.SerializeToString(), timeout=timeout_s)
            )
        except grpc.RpcError as exc:
            problems.append(f"a valid span was refused after the run: {exc.code()}")
        else:
            if reply.HasField("partial_success"):
                problems.append(f"a valid span was rejected after the run: {reply}")
    return problems


def valid_trace_request(span_id: str, trace_id: str = VALID_TRACE_ID) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    group = request.resource_spans.add()
    group.resource.attributes.add(key="service.name").value.string_value = "fuzz-check"
    span = group.scope_spans.add().spans.add()
    span.trace_id, span.span_id = bytes.fromhex(trace_id), bytes.fromhex(span_id)
    span.name = "after the fuzz run"
    now = time.time_ns()
    span.start_time_unix_nano, span.end_time_unix_nano = now - 1_000_000, now
    return request


def print_report(report: FuzzReport) -> None:
    print(f"sent {report.sent} payloads in {report.seconds:.1f} s")
    print("replies per transport and class:")
    for transport in ("grpc", "http"):
        classes = {c: n for (t, c), n in report.replies.items() if t == transport}
        total = sum(classes.values())
        print(f"  {transport:<5} {total:>6}")
        for name, count in sorted(classes.items(), key=lambda item: -item[1]):
            print(f"        {name:<24} {count:>6}")
    print("payloads per mutation:")
    for name, count in sorted(report.mutations.items()):
        print(f"  {name:<24} {count:>6}")
    print(f"violations: {len(report.violations)}")
    for violation in report.violations[:30]:
        print(f"  {violation}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fuzz", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--payloads", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="runlens-fuzz-") as tmp:
        server = ServeProcess(
            Path(tmp) / "data", env={"RUNLENS_MAX_REQUEST_BYTES": str(MAX_REQUEST_BYTES)}
        )
        endpoints = server.start()
        try:
            report = run_fuzz(
                endpoints,
                args.payloads,
                seed=args.seed,
                workers=args.workers,
                timeout_s=args.timeout,
                alive=server.alive,
            )
            if server.alive():
                report.violations.extend(check_after(endpoints))
            else:
                report.violations.append("the server process is not running after the run")
        finally:
            code = server.stop()
        if code != 0:
            report.violations.append(f"runlens serve exited with {code} on SIGTERM")
            print("\n".join(server.log[-30:]), file=sys.stderr)
        print(f"server peak RSS {server.peak_rss_bytes / 2**20:.0f} MiB")
    print_report(report)
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
