"""`runlens` command line: `serve` runs the backend, `demo` sends example agent runs to it,
`export` downloads runs from it, `keys` manages API keys, `sql` runs read-only SQL on its
store, `replay` replays a recorded run."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from runlens import __version__
from runlens.settings import Settings

_SERVE_FLAGS: dict[str, tuple[str, type]] = {
    "--role": ("role", str),
    "--host": ("host", str),
    "--grpc-port": ("grpc_port", int),
    "--otlp-http-port": ("otlp_http_port", int),
    "--port": ("port", int),
    "--allowed-hosts": ("allowed_hosts", str),
    "--clickhouse-url": ("clickhouse_url", str),
    "--project": ("project", str),
    "--auth": ("auth", str),
    "--retention-days": ("retention_days", int),
    "--run-timeout": ("run_timeout_s", float),
    "--price-table": ("price_table", str),
    "--redact": ("redact", str),
    "--redact-keys": ("redact_keys", str),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="runlens", description=__doc__)
    parser.add_argument("--version", action="version", version=f"runlens {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the OTLP receivers and the API")
    for flag, (name, kind) in _SERVE_FLAGS.items():
        field = Settings.model_fields[name]
        serve.add_argument(
            flag,
            dest=name,
            type=kind,
            default=None,
            help=f"{field.description} [env RUNLENS_{name.upper()}, default {field.default}]",
        )

    demo = commands.add_parser("demo", help="send realistic agent runs to a running runlens")
    demo.add_argument(
        "--endpoint", default=_otlp_grpc_endpoint(),
        help="OTLP/gRPC endpoint [env OTEL_EXPORTER_OTLP_ENDPOINT, default http://127.0.0.1:4317]",
    )  # fmt: skip
    demo.add_argument(
        "--runs", type=int, default=12,
        help="how many finished agent runs to send, the last two a recorded run and its replay",
    )  # fmt: skip
    demo.add_argument("--seed", type=int, default=None, help="same seed, same runs and run ids")
    demo.add_argument(
        "--background", type=float, default=60.0, metavar="SECONDS",
        help="how long the live run the demo leaves behind keeps working (0: none) [60]",
    )  # fmt: skip
    demo.add_argument(
        "--live", type=float, default=None, metavar="SECONDS",
        help="only stream one live run for SECONDS, in the foreground",
    )  # fmt: skip
    demo.add_argument(
        "--timeout", type=float, default=5.0, metavar="SECONDS",
        help="how long an export may wait for runlens to accept it [5]",
    )  # fmt: skip
    demo.add_argument("--ready-fd", type=int, default=None, help=argparse.SUPPRESS)

    from runlens import export_cli

    export = commands.add_parser("export", help="download runs and their actions from a runlens")
    export_cli.add_arguments(export)

    from runlens import keys_cli

    keys = commands.add_parser("keys", help="create, list and revoke API keys")
    keys_cli.add_arguments(keys)

    from runlens import sql_cli

    sql = commands.add_parser("sql", help="run a read-only SQL query on the runlens database")
    sql_cli.add_arguments(sql)

    from runlens import replay_cli

    replay = commands.add_parser(
        "replay", help="run an agent command as a replay of a recorded run, then compare"
    )
    replay_cli.add_arguments(replay)

    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "serve":
        overrides = {name: getattr(args, name) for name, _ in _SERVE_FLAGS.values()}
        return _serve({k: v for k, v in overrides.items() if v is not None})
    if args.command == "export":
        return export_cli.main(args)
    if args.command == "keys":
        return keys_cli.main(args)
    if args.command == "sql":
        return sql_cli.main(args)
    if args.command == "replay":
        return replay_cli.run_replay(args)
    if args.live is not None:
        from runlens.sdk.demo_live import run_live

        return run_live(
            args.endpoint, args.live, seed=args.seed, timeout_s=args.timeout,
            ready_fd=args.ready_fd,
        )  # fmt: skip
    from runlens.sdk.demo import run_demo

    return run_demo(
        args.endpoint, args.runs, seed=args.seed, live_s=args.background, timeout_s=args.timeout
    )


def _otlp_grpc_endpoint() -> str:
    """The endpoint the OpenTelemetry variables name when they name a gRPC one."""
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "")
    grpc = os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc") == "grpc"
    return endpoint if endpoint and grpc else "http://127.0.0.1:4317"


def _serve(overrides: dict[str, Any]) -> int:
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        print(f"runlens: invalid setting: {exc}", file=sys.stderr)
        return 2
    from runlens.storage.clickhouse.store import chdb_path

    if chdb_path(settings.clickhouse_url) is not None:
        from runlens.storage.clickhouse.embedded import tune_embedded_process

        tune_embedded_process()  # before chDB loads: it reads its allocator options once
    from runlens.serve import Server, keep_gc_out_of_requests
    from runlens.storage.contract import StorageError

    server = Server(settings)
    try:
        endpoints = server.start()
    except (OSError, RuntimeError, StorageError) as exc:
        print(f"runlens: cannot start: {exc}", file=sys.stderr)
        server.stop()
        return 1
    keep_gc_out_of_requests()
    stopping = threading.Event()  # before the banner: a Ctrl+C once it shows stops cleanly
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    role = "" if endpoints.role == "all" else f" (role {endpoints.role})"
    ui = f"  UI          {endpoints.ui_url}\n" if endpoints.role != "collector" else ""
    otlp = (
        f"  OTLP/gRPC   {endpoints.otlp_grpc_url}  "
        f"(OTEL_EXPORTER_OTLP_ENDPOINT={endpoints.otlp_grpc_url})\n"
        f"  OTLP/HTTP   {endpoints.otlp_http_url}  "
        f"(OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf "
        f"OTEL_EXPORTER_OTLP_ENDPOINT={endpoints.otlp_http_url})\n"
        if endpoints.grpc_port is not None
        else ""
    )
    api = "API" if endpoints.role != "collector" else "health"
    print(
        f"runlens {__version__} is running{role}\n"
        f"{ui}"
        f"  data        {endpoints.data_location}\n"
        f"{otlp}"
        f"  {api:<11} {endpoints.api_url}  (health: {endpoints.api_url}/healthz, "
        f"metrics: {endpoints.api_url}/metrics)\n"
        f"  auth        {_auth_line(settings)}\n"
        "Press Ctrl+C to stop.",
        flush=True,
    )
    stopping.wait()
    print("runlens: stopping (storing what was accepted)…", flush=True)
    server.stop()
    return 0


def _auth_line(settings: Settings) -> str:
    if settings.auth_required:
        return "API key required on every request (runlens keys create --project NAME)"
    return (
        f"disabled: requests without a key go to project {settings.project!r} "
        "(valid keys still select their project; --auth required to enforce keys)"
    )


if __name__ == "__main__":
    sys.exit(main())
