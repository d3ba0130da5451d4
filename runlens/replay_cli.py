"""`runlens replay RUN_ID -- COMMAND…`: run an agent as a replay of a recorded run.

The command runs with the `RUNLENS_REPLAY_*` variables the SDK reads (docs/replay.md), so its
LLM and tool calls are answered from the recording. The SDK reports each decision on a pipe
(`RUNLENS_REPLAY_PROGRESS_FD`); they are printed as they come. Once the command has exited and
runlens has the replay run, `compareRuns` gives match rate, divergences and costs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from typing import Any, TextIO

from runlens.sdk.replay.api_client import GraphQLClient, GraphQLFailure, RunlensUnreachable
from runlens.sdk.replay.config import (
    DEFAULT_API_URL,
    ENV_API_KEY,
    ENV_API_URL,
    OnDivergence,
    Policy,
    ReplayConfig,
)
from runlens.sdk.replay.progress import ProgressEvent, Step
from runlens.sdk.replay.recording import Recording, ReplayUnavailable, fetch_recording

PREFIX = "runlens replay:"

_STATUS = "query($id: ID!) { run(id: $id) { status } }"
_COMPARE = """
query($original: ID!, $replay: ID!) {
  compareRuns(originalId: $original, replayId: $replay) {
    matchRate divergenceCount originalCostUsd replayCostUsd savingsUsd priceVersion costNote
    actions { step verdict key { name } }
  }
}
"""


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy", choices=[p.value for p in Policy], default=Policy.STRICT.value,
        help="strict: any mismatch is a divergence; lenient: serve in order, report drift",
    )  # fmt: skip
    parser.add_argument(
        "--on-divergence", choices=[o.value for o in OnDivergence],
        default=OnDivergence.STOP.value,
        help="stop: the agent gets ReplayDivergence; live: run for real from there",
    )  # fmt: skip
    parser.add_argument(
        "--api-url", default=os.environ.get(ENV_API_URL) or DEFAULT_API_URL,
        help=f"runlens API [env {ENV_API_URL}, default {DEFAULT_API_URL}]",
    )  # fmt: skip
    parser.add_argument(
        "--wait", type=float, default=30.0,
        help="seconds to wait for the replay run to reach runlens after the command [30]",
    )  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`runlens replay [options] RUN_ID [options] -- COMMAND…`."""
    _add_options(parser)
    parser.add_argument("run_id", metavar="RUN_ID", help="the recorded run to replay")
    parser.add_argument(
        "agent_command", metavar="-- COMMAND", nargs=argparse.REMAINDER, help="the agent command"
    )


def split_command(args: argparse.Namespace) -> tuple[argparse.Namespace, list[str]]:
    """The options given after RUN_ID (argparse leaves them in the remainder) merged over
    those given before it, and the command after `--`."""
    rest: list[str] = args.agent_command
    if "--" not in rest:
        return args, rest
    split = rest.index("--")
    options = argparse.ArgumentParser(prog="runlens replay RUN_ID")
    _add_options(options)
    options.set_defaults(**{k: v for k, v in vars(args).items() if k != "agent_command"})
    return options.parse_args(rest[:split]), rest[split + 1 :]


class ProgressPrinter:
    """Reads the SDK's progress lines from `fd` and prints one line per decision."""

    def __init__(self, fd: int, out: TextIO, total: int) -> None:
        self.counts: Counter[Step] = Counter()
        self._fd = fd
        self._out = out
        self._total = total
        self._thread = threading.Thread(target=self._read, name="replay-progress", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        self._thread.join()

    def _read(self) -> None:
        with os.fdopen(self._fd, "r", encoding="utf-8") as lines:
            for line in lines:
                try:
                    event = ProgressEvent.parse(line)
                except (ValueError, KeyError):
                    continue
                self.counts[event.step] += 1
                served = self.counts[Step.SERVED]
                detail = f" ({event.detail})" if event.detail else ""
                print(
                    f"{PREFIX} [{served}/{self._total} served, {self.counts[Step.DIVERGED]} "
                    f"diverged] {event.step} {event.channel} {event.name}{detail}",
                    file=self._out,
                    flush=True,
                )


def _wait_for_run(client: GraphQLClient, run_id: str, wait_s: float) -> bool:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            run = client.query(_STATUS, id=run_id)["run"]
        except GraphQLFailure as exc:
            if exc.code != "NOT_FOUND":
                raise
            run = None
        if run is not None and run["status"] != "RUNNING":
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def comparison_lines(result: dict[str, Any], counts: Counter[Step]) -> list[str]:
    total = len(result["actions"])
    divergent = [a for a in result["actions"] if a["verdict"] != "MATCH"]
    lines = [
        f"  actions        served {counts[Step.SERVED]}, live {counts[Step.LIVE]}, "
        f"drift {counts[Step.DRIFT]}, diverged {counts[Step.DIVERGED]}",
        f"  match rate     {result['matchRate']:.1%} ({total - len(divergent)}/{total} steps)",
        f"  divergences    {result['divergenceCount']}",
    ]
    lines += [f"    step {a['step']}: {a['verdict']} {a['key']['name']}" for a in divergent[:10]]
    if len(divergent) > 10:
        lines.append(f"    … and {len(divergent) - 10} more")
    lines += [
        f"  original cost  ${result['originalCostUsd']:.6f}",
        f"  replay cost    ${result['replayCostUsd']:.6f}",
        f"  savings        ${result['savingsUsd']:.6f}"
        + (f" (prices {result['priceVersion']})" if result["priceVersion"] else ""),
    ]
    if result.get("costNote"):
        lines.append(f"  note           {result['costNote']}")
    return lines


def _preflight(client: GraphQLClient, run_id: str, err: TextIO) -> Recording | None:
    try:
        return fetch_recording(client, run_id)
    except (ReplayUnavailable, RunlensUnreachable, GraphQLFailure) as exc:
        print(f"{PREFIX} {exc}", file=err)
        return None


def run_replay(
    args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command as a replay and print the comparison; the command's exit code, or 1
    (2 for usage) when the replay could not start or be compared."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    args, command = split_command(args)
    if not command:
        print(f"{PREFIX} give the agent command after --", file=err)
        return 2
    api_key = os.environ.get(ENV_API_KEY) or None
    client = GraphQLClient(args.api_url, api_key)
    recording = _preflight(client, args.run_id, err)
    if recording is None:
        return 1
    servable = sum(1 for a in recording.actions if a.servable)
    read_fd, write_fd = os.pipe()
    config = ReplayConfig(
        args.run_id, Policy(args.policy), OnDivergence(args.on_divergence), args.api_url,
        api_key, progress_fd=write_fd,
    )  # fmt: skip
    print(
        f"{PREFIX} replaying run {args.run_id} as run {config.run_id} "
        f"({len(recording.actions)} recorded actions, {servable} servable; policy "
        f"{config.policy}, on divergence {config.on_divergence})",
        file=out,
        flush=True,
    )
    progress = ProgressPrinter(read_fd, out, servable)
    progress.start()
    try:
        child = subprocess.Popen(command, env={**os.environ, **config.environment()},
                                 pass_fds=(write_fd,))  # fmt: skip
    except OSError as exc:
        os.close(write_fd)
        progress.join()
        print(f"{PREFIX} cannot run {command[0]}: {exc}", file=err)
        return 127
    os.close(write_fd)
    try:
        code = child.wait()
    except KeyboardInterrupt:
        code = child.wait()
    progress.join()
    print(f"{PREFIX} the agent exited with code {code}", file=out, flush=True)
    try:
        if not _wait_for_run(client, config.run_id, args.wait):
            print(
                f"{PREFIX} the replay run {config.run_id} did not reach runlens within "
                f"{args.wait:g} s: does the agent call runlens.sdk.replay.install(provider) and "
                "export its spans to this runlens?",
                file=err,
            )
            return code or 1
        result = client.query(_COMPARE, original=args.run_id, replay=config.run_id)
    except (RunlensUnreachable, GraphQLFailure) as exc:
        print(f"{PREFIX} cannot compare the runs: {exc}", file=err)
        return code or 1
    print(f"{PREFIX} run {config.run_id} compared with run {args.run_id}", file=out)
    for line in comparison_lines(result["compareRuns"], progress.counts):
        print(line, file=out)
    return code
