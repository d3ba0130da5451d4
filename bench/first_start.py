"""First-start benchmark: what a new user waits for. Clones this repository (a commit or branch,
default HEAD) into a temporary directory, runs `make run` there with free ports, and reports the
time until the start banner, the CPU time of everything it ran (pip included: less sensitive to
a busy machine than the wall time), the size of the `.venv` it made and the packages in it.

    python -m bench.first_start [--ref REF] [--repeat N]

pip's download cache is the user's (`~/.cache/pip`): the first run on a machine also measures
downloads, later runs do not. Every wait is bounded; the server is stopped with SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BANNER = "is running"


@dataclass(frozen=True)
class FirstStart:
    ref: str
    banner_s: float
    cpu_s: float
    venv_mb: float
    packages: int


def stop(make: subprocess.Popen[bytes]) -> None:
    """SIGTERM to make and the server it started; SIGKILL if they are not gone in 3 minutes
    (a server storing what it accepted can take that long on a loaded machine)."""
    os.killpg(make.pid, signal.SIGTERM)
    try:
        make.wait(180)
    except subprocess.TimeoutExpired:
        os.killpg(make.pid, signal.SIGKILL)
        make.wait(60)


def measure(ref: str, timeout_s: float) -> FirstStart:
    with tempfile.TemporaryDirectory(prefix="runlens-first-start-") as tmp:
        clone = Path(tmp) / "runlens"
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
        subprocess.run(["git", "-C", str(clone), "checkout", "-q", ref], check=True)
        env = dict(os.environ, RUNLENS_GRPC_PORT="0", RUNLENS_OTLP_HTTP_PORT="0", RUNLENS_PORT="0")
        log = clone / "make-run.log"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        with log.open("w") as out:
            make = subprocess.Popen(
                ["make", "run"], cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            try:
                while BANNER not in log.read_text(errors="replace"):
                    if make.poll() is not None:
                        raise RuntimeError(f"make run ended first:\n{log.read_text()[-2000:]}")
                    if time.monotonic() - started > timeout_s:
                        raise TimeoutError(f"no banner after {timeout_s:.0f} s")
                    time.sleep(0.1)
                banner_s = time.monotonic() - started
            finally:
                stop(make)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        venv = clone / ".venv"
        size = sum(f.stat().st_size for f in venv.rglob("*") if f.is_file() and not f.is_symlink())
        listed = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        shutil.rmtree(venv)
        return FirstStart(ref, banner_s, cpu_s, size / 1e6, len(listed.stdout.splitlines()))


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.first_start", description=__doc__)
    parser.add_argument("--ref", default="HEAD", help="commit or branch to clone")
    parser.add_argument("--repeat", type=int, default=1, help="measure this many fresh clones")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for it")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"first start of {args.ref} (load average {load:.1f} on {os.cpu_count()} CPUs)")
    print(f"{'banner s':>9} {'cpu s':>7} {'venv MB':>8} {'packages':>9}")
    for _ in range(args.repeat):
        got = measure(args.ref, args.timeout)
        print(f"{got.banner_s:9.1f} {got.cpu_s:7.1f} {got.venv_mb:8.0f} {got.packages:9d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
