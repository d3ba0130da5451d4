"""Wheel smoke test (CI: `make smoke-wheel`): build runlens's wheel, install it with its runtime
dependencies into a fresh virtualenv, start `runlens serve` from it on free ports and a
temporary data directory, send a span with the OpenTelemetry SDK, read it back through
GraphQL, check that `GET /` answers, and stop the server cleanly.

    python -m tests.smoke.wheel_smoke

Run outside the source tree, so what is tested is what the wheel ships (schema files, price
table, entry point), not the checkout.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

REPO = Path(__file__).resolve().parents[2]


def step(text: str) -> None:
    print(f"wheel smoke: {text}", flush=True)


def build_and_install(tmp: Path) -> Path:
    dist, venv = tmp / "dist", tmp / "venv"
    pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist)]
    subprocess.run([*pip, str(REPO)], check=True, timeout=600)
    (wheel,) = dist.glob("runlens-*.whl")
    step(f"built {wheel.name}")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    install = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)]
    subprocess.run(install, check=True, timeout=900)
    step("installed it with its runtime dependencies into a fresh venv")
    return venv / "bin" / "runlens"


def start(runlens: Path, tmp: Path) -> tuple[subprocess.Popen[str], dict[str, int]]:
    ports_anywhere = ["--grpc-port", "0", "--otlp-http-port", "0", "--port", "0"]
    process = subprocess.Popen(
        [str(runlens), "serve", "--clickhouse-url", f"chdb://{tmp / 'data'}", *ports_anywhere],
        cwd=tmp,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    ports: dict[str, int] = {}
    for line in process.stdout:
        print(f"  | {line.rstrip()}")
        if found := re.search(r"(OTLP/gRPC|API)\s+http://127\.0\.0\.1:(\d+)", line):
            ports[found.group(1)] = int(found.group(2))
        if "Press Ctrl+C" in line:
            return process, ports
    raise SystemExit(f"runlens serve ended before its banner (exit {process.wait()})")


def send_span(grpc_port: int) -> str:
    exporter = OTLPSpanExporter(endpoint=f"127.0.0.1:{grpc_port}", insecure=True)
    provider = TracerProvider(resource=Resource.create({"service.name": "wheel-smoke"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("smoke").start_as_current_span(
        "invoke_agent smoke", attributes={"gen_ai.operation.name": "invoke_agent"}
    ) as span:
        run_id = format(span.get_span_context().trace_id, "032x")
    provider.shutdown()
    return run_id


def read_back(api_port: int, run_id: str) -> dict[str, object]:
    query = "query($id: ID!) { run(id: $id) { id status actionCount agent { id } } }"
    body = json.dumps({"query": query, "variables": {"id": run_id}}).encode()
    deadline = time.monotonic() + 30
    while True:
        request = urllib.request.Request(
            f"http://127.0.0.1:{api_port}/graphql",
            data=body,
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.load(response)
        run = answer.get("data", {}).get("run")
        if run is not None and run["status"] == "COMPLETED":
            return dict(run)
        if time.monotonic() > deadline:
            raise SystemExit(f"the span did not come back through GraphQL: {answer}")
        time.sleep(0.2)


def check_root(api_port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/", timeout=30) as response:
            status, kind = response.status, response.headers.get("content-type", "")
    except urllib.error.HTTPError as exc:
        status, kind = exc.code, ""
    if status == 200 and kind.startswith("text/html"):
        return status
    raise SystemExit(f"GET / answered {status} {kind!r}")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="runlens-wheel-") as name:
        tmp = Path(name)
        runlens = build_and_install(tmp)
        process, ports = start(runlens, tmp)
        try:
            run_id = send_span(ports["OTLP/gRPC"])
            step(f"sent a span of run {run_id} with the OpenTelemetry SDK")
            run = read_back(ports["API"], run_id)
            step(f"read it back through GraphQL: {run}")
            step(f"GET / answered {check_root(ports['API'])}")
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(60)
        if code != 0:
            raise SystemExit(f"runlens serve exited with {code} on SIGTERM")
        step("stopped cleanly: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
