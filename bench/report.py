"""The benchmark's figures and the table it prints, with each target marked met or missed."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from bench.sender import SenderReady
from bench.serve_process import ServerFigures
from bench.store_figures import StoreFigures

TARGET_RATIO = 0.60
TARGET_RSS_MB = 400.0
TARGET_BYTES_PER_SPAN = 1.5 * 1024


@dataclass
class Report:
    spans: int
    senders: int
    batch: int
    rounds: int
    cpus: int
    ready: list[SenderReady]
    busy_at_start: float  # share of all CPUs busy just before the senders were started
    null_rates: list[float] = field(default_factory=list)
    runlens_rates: list[float] = field(default_factory=list)
    servers: list[ServerFigures] = field(default_factory=list)
    acked: list[int] = field(default_factory=list)
    stored: list[StoreFigures] = field(default_factory=list)

    def add_runlens(
        self, acked: int, rate: float, server: ServerFigures, stored: StoreFigures
    ) -> None:
        self.acked.append(acked)
        self.runlens_rates.append(rate)
        self.servers.append(server)
        self.stored.append(stored)

    @property
    def consistent(self) -> bool:
        """Every acknowledged span was stored, once."""
        return all(s.spans_stored == a for s, a in zip(self.stored, self.acked, strict=True))

    @property
    def mean_span_bytes(self) -> float:
        return sum(r.sample_bytes for r in self.ready) / max(
            1, sum(r.sample_spans for r in self.ready)
        )


def render(report: Report) -> str:
    null = statistics.median(report.null_rates)
    ours = statistics.median(report.runlens_rates)
    ratio = ours / null if null else 0.0
    rss_mb = max(s.peak_rss_bytes for s in report.servers) / 2**20
    anon_mb = max(s.peak_anon_bytes for s in report.servers) / 2**20
    last = report.stored[-1]
    per_span = last.bytes_on_disk / max(1, last.spans_stored)
    du_per_span = last.directory_bytes / max(1, last.spans_stored)
    how = f"median of {report.rounds} rounds" if report.rounds > 1 else "single round"
    cpu_per_k = 1000 * statistics.median(
        s.cpu_seconds / max(1, acked) for s, acked in zip(report.servers, report.acked, strict=True)
    )

    def rounds(rates: list[float]) -> str:
        return " / ".join(f"{rate:,.0f}" for rate in rates)

    lines = [
        "",
        f"runlens ingest benchmark: {report.spans:,} spans per round, {report.senders} sender "
        f"processes x {report.batch}-span export() calls, OTLP/gRPC over 127.0.0.1, "
        f"{report.cpus} CPUs, {report.busy_at_start:.0%} busy before the senders started"
        + ("  (BUSY MACHINE: figures are low and noisy)" if report.busy_at_start > 0.2 else ""),
        f"mean span {report.mean_span_bytes / 1024:.2f} KB as OTLP protobuf (agent-shaped: "
        "system prompt, growing history, tool args/results, usage)",
        "",
        f"{'':34} {'figure':>14}   {'target':>10}   {'':6}  detail",
        _row("do-nothing receiver, spans/s", f"{null:,.0f}", "", "",
             f"{how}: {rounds(report.null_rates)}"),
        _row("runlens stored, spans/s", f"{ours:,.0f}", "", "",
             f"{how}: {rounds(report.runlens_rates)}"),
        _row("ratio runlens / do-nothing", f"{ratio:.2f}", f">= {TARGET_RATIO:.2f}",
             _mark(ratio >= TARGET_RATIO), "acked = stored, after every span is stored"),
        _row("peak RSS runlens, MB", f"{rss_mb:,.0f}", f"<= {TARGET_RSS_MB:.0f}",
             _mark(rss_mb <= TARGET_RSS_MB),
             f"VmHWM, max over rounds; of it heap (RssAnon) {anon_mb:,.0f} MB"),
        _row("on disk per span, bytes", f"{per_span:,.0f}", f"<= {TARGET_BYTES_PER_SPAN:,.0f}",
             _mark(per_span <= TARGET_BYTES_PER_SPAN),
             f"spans table active parts, as ingested ({last.parts} parts)"),
    ]  # fmt: skip
    if last.bytes_on_disk_merged is not None:
        merged = last.bytes_on_disk_merged / max(1, last.spans_stored)
        lines.append(
            _row("  after OPTIMIZE ... FINAL", f"{merged:,.0f}", "", "", "one merged part")
        )
    lines += [
        _row("  whole data dir (du) per span", f"{du_per_span:,.0f}", "", "",
             "all tables, incl. merged-away parts not yet removed"),
        _row("server CPU s per 1k spans", f"{cpu_per_k:.3f}", "", "", "utime+stime / acked"),
        _row("stored = acknowledged", _mark(report.consistent), "", "",
             " / ".join(f"{s.spans_stored:,}={a:,}" for s, a in zip(report.stored, report.acked,
                                                                     strict=True))),
        "",
        "largest columns of runlens.spans (compressed): "
        + ", ".join(f"{name} {size / 2**20:.1f} MiB" for name, size in last.largest_columns),
    ]  # fmt: skip
    return "\n".join(lines)


def _row(label: str, value: str, target: str, mark: str, detail: str) -> str:
    return f"{label:34} {value:>14}   {target:>10}   {mark:6}  {detail}"


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"
