"""`bench.fuzz` in small: a few hundred malformed payloads against a `runlens serve` process.

The full run is `python -m bench.fuzz --payloads 10000`; this one checks the same things:
every reply a success (possibly partial) or a proper error, no timeout, the process still up,
and afterwards `/healthz` answers and a valid span is stored. The server has a data directory
of its own: mutated captures keep their ids and must not mix with other tests' data.
"""

from __future__ import annotations

import os
from pathlib import Path

import grpc

from bench.fuzz import MAX_REQUEST_BYTES, check_after, run_fuzz
from bench.overload import stored_span_ids
from bench.serve_process import ServeProcess
from runlens.serve import Endpoints

PAYLOADS = int(os.environ.get("RUNLENS_LIVE_FUZZ_PAYLOADS", "300"))
AFTER = "0123456789abcdef"  # the span sent once the fuzzing is over


def test_malformed_payloads_get_proper_replies(tmp_path: Path) -> None:
    server = ServeProcess(
        tmp_path / "data", env={"RUNLENS_MAX_REQUEST_BYTES": str(MAX_REQUEST_BYTES)}
    )
    endpoints = server.start()
    try:
        report = run_fuzz(endpoints, PAYLOADS, seed=7, workers=4, timeout_s=30, alive=server.alive)
        assert report.violations == []
        assert report.sent == PAYLOADS and server.alive()
        classes = {reply for _, reply in report.replies}
        # The mix reaches every path: refusals, partial successes and stored payloads.
        assert {"INVALID_ARGUMENT", "400", "415"} <= classes
        assert {"OK", "OK partial", "200"} <= classes
        assert check_after(endpoints, span_id=AFTER) == []
    finally:
        assert server.stop() == 0, "\n".join(server.log[-30:])
    assert AFTER in stored_span_ids(tmp_path / "data")


def test_a_broken_reply_is_a_violation() -> None:
    """The judge is not blind: a server that is not there is reported, not counted as fine."""
    nowhere = Endpoints("127.0.0.1", 1, 1, 1, "")
    report = run_fuzz(nowhere, 20, seed=3, workers=2, timeout_s=2)
    http = sum(n for (transport, _), n in report.replies.items() if transport == "http")
    assert http > 0 and len(report.violations) == http
    assert report.replies[("grpc", grpc.StatusCode.UNAVAILABLE.name)] == 20 - http
