"""`runlens export`: stream `GET /export/runs` of a running runlens into a file.

The embedded store can be opened by one process only, so the export goes through the HTTP API
of the server that holds it. Progress (runs, bytes, rate) is drawn on stderr with `\\r`; the
file is written as `<output>.part` and renamed once the whole export arrived.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

CHUNK_BYTES = 64 * 1024
DEFAULT_API = "http://127.0.0.1:8000"


class RunCounter:
    """Counts the runs in an export stream as it arrives, without parsing it whole.

    JSON and JSONL: every run starts a line with `{`. CSV: one record per action, the run id
    first, so a run is a change of the first field between records (a newline inside a quoted
    field ends no record: quotes are counted)."""

    def __init__(self, format: str) -> None:
        self.format = format
        self.runs = 0
        self._last = b"\n"
        self._in_quotes = False
        self._records = 0
        self._field: bytearray | None = bytearray()  # first field of the current record
        self._previous_run: bytes | None = None

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        if self.format != "csv":
            self.runs += (self._last + chunk).count(b"\n{")
            self._last = chunk[-1:]
            return
        segments = chunk.split(b"\n")
        for index, segment in enumerate(segments):
            if self._field is not None:
                comma = segment.find(b",")
                self._field += segment if comma < 0 else segment[:comma]
                if comma >= 0 or len(self._field) > 256:
                    self._end_field()
            self._in_quotes ^= segment.count(b'"') % 2 == 1
            if index < len(segments) - 1 and not self._in_quotes:
                self._end_record()

    def _end_field(self) -> None:
        if self._field is None:
            return
        value = bytes(self._field).strip(b'"\r')
        self._field = None
        self._records += 1
        if self._records > 1 and value != self._previous_run:  # record 1 is the header
            self.runs += 1
            self._previous_run = value

    def _end_record(self) -> None:
        self._end_field()
        self._field = bytearray()


class Progress:
    """`\\r`-redrawn progress line: a bar when the total is known, runs, bytes and rate."""

    def __init__(self, stream: TextIO, total: int | None, interval: float = 0.1) -> None:
        self._stream = stream
        self._total = total
        self._interval = interval
        self._live = stream.isatty()
        self._started = time.monotonic()
        self._drawn = 0.0

    def line(self, runs: int, size: int) -> str:
        elapsed = max(time.monotonic() - self._started, 1e-6)
        rate = f"{runs / elapsed:,.0f} runs/s, {_size(size / elapsed)}/s"
        if not self._total:
            return f"{runs:,} runs  {_size(size)}  {rate}"
        done = min(runs / self._total, 1.0)
        bar = "#" * int(done * 24)
        return f"[{bar:<24}] {done:4.0%}  {runs:,}/{self._total:,} runs  {_size(size)}  {rate}"

    def update(self, runs: int, size: int) -> None:
        now = time.monotonic()
        if self._live and now - self._drawn >= self._interval:
            self._drawn = now
            self._stream.write("\r" + self.line(runs, size) + "\x1b[K")
            self._stream.flush()

    def finish(self, runs: int, size: int) -> None:
        self._stream.write(("\r" if self._live else "") + self.line(runs, size) + "\n")
        self._stream.flush()


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def export_url(api: str, params: Sequence[tuple[str, str]]) -> str:
    return f"{api.rstrip('/')}/export/runs?{urllib.parse.urlencode(list(params))}"


def _api_message(error: urllib.error.HTTPError) -> str:
    body = error.read().decode("utf-8", "replace")
    try:
        message = json.loads(body)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = body.strip() or error.reason
    return str(message)


def _filename(disposition: str | None, format: str) -> str:
    match = re.search(r'filename="?([^";]+)"?', disposition or "")
    name = Path(match.group(1)).name if match else ""
    return name or f"runs.{format}"


def run_export(
    api: str,
    params: Sequence[tuple[str, str]],
    output: str | None,
    *,
    timeout: float = 120.0,
    stderr: TextIO | None = None,
    api_key: str | None = None,
) -> int:
    """Export to `output` (`-`: stdout; None: the file name the server suggests). 0 on
    success; 1 with a message on stderr when the API is unreachable, refuses the request or the
    export is cut short."""
    err = stderr if stderr is not None else sys.stderr
    if urllib.parse.urlsplit(api).scheme not in ("http", "https"):
        print(f"runlens export: --api must be an http(s) URL such as {DEFAULT_API} (got {api!r})",
              file=err)  # fmt: skip
        return 1
    url = export_url(api, params)
    try:
        headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        response = urllib.request.urlopen(
            urllib.request.Request(url, headers=headers), timeout=timeout
        )
    except urllib.error.HTTPError as exc:
        print(f"runlens export: the API refused the export ({exc.code}): {_api_message(exc)}",
              file=err)  # fmt: skip
        return 1
    except (urllib.error.URLError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        print(f"runlens export: cannot reach the runlens API at {api}: {reason}", file=err)
        return 1
    with response:
        format = dict(params).get("format", "jsonl")
        total_text = response.headers.get("X-Total-Count")
        total = int(total_text) if total_text and total_text.isdigit() else None
        if output == "-":
            return _stream(response, sys.stdout.buffer, format, total, err)
        target = Path(output or _filename(response.headers.get("Content-Disposition"), format))
        partial = target.with_name(target.name + ".part")
        try:
            sink = partial.open("wb")
        except OSError as exc:
            print(f"runlens export: cannot write {target}: {exc.strerror}", file=err)
            return 1
        with sink:
            status = _stream(response, sink, format, total, err)
        if status != 0:
            partial.unlink(missing_ok=True)
            return status
        os.replace(partial, target)
        print(f"runlens export: wrote {target}", file=err)
        return 0


def _stream(
    response: http.client.HTTPResponse, sink: BinaryIO, format: str, total: int | None,
    err: TextIO,
) -> int:  # fmt: skip
    counter = RunCounter(format)
    progress = Progress(err, total)
    size = 0
    try:
        while chunk := response.read1(CHUNK_BYTES):
            sink.write(chunk)
            size += len(chunk)
            counter.feed(chunk)
            progress.update(counter.runs, size)
    except (http.client.HTTPException, OSError) as exc:
        err.write("\n")
        print(
            f"runlens export: the export was cut short after {counter.runs:,} runs "
            f"({exc.__class__.__name__}: {exc}); run it again",
            file=err,
        )
        return 1
    except KeyboardInterrupt:
        err.write("\nrunlens export: interrupted\n")
        return 130
    sink.flush()
    progress.finish(counter.runs, size)
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `runlens export` (filters as in GraphQL `runs`, docs/api.md "Export")."""
    parser.add_argument("--api", default=DEFAULT_API, help=f"runlens API URL [{DEFAULT_API}]")
    parser.add_argument("--format", choices=("csv", "json", "jsonl"), default="jsonl")
    parser.add_argument(
        "--output", "-o", default=None,
        help="file to write, - for stdout [the server's runs-<utc>.<format>]",
    )  # fmt: skip
    parser.add_argument(
        "--status", action="append", default=[], metavar="STATUS",
        help="running, completed, failed or terminated (repeat for several)",
    )  # fmt: skip
    parser.add_argument("--min-cost-usd", type=float, default=None)
    parser.add_argument("--window", default=None, help="LAST_24H, LAST_7D, LAST_30D or ALL")
    parser.add_argument("--agent-id", default=None)
    parser.add_argument("--search", default=None, help="part of the run id, name or agent")
    parser.add_argument("--sort", default=None, help="STARTED_AT (default) or COST")
    parser.add_argument("--direction", default=None, help="DESC (default) or ASC")
    parser.add_argument("--limit", type=int, default=None, help="at most this many runs")
    parser.add_argument(
        "--include-payloads", action="store_true", help="add each action's input and output"
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per read [120]")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("RUNLENS_API_KEY"),
        help="API key of the project to export [env RUNLENS_API_KEY]",
    )


def main(args: argparse.Namespace) -> int:
    params: list[tuple[str, str]] = [("format", args.format)]
    params += [("status", status) for status in args.status]
    optional = {
        "minCostUsd": args.min_cost_usd,
        "window": args.window,
        "agentId": args.agent_id,
        "search": args.search,
        "sort": args.sort,
        "direction": args.direction,
        "limit": args.limit,
    }
    params += [(name, str(value)) for name, value in optional.items() if value is not None]
    if args.include_payloads:
        params.append(("include_payloads", "true"))
    return run_export(args.api, params, args.output, timeout=args.timeout, api_key=args.api_key)
