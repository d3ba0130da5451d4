"""What redaction costs per span: `python -m bench.redaction [--spans N] [--rounds R]`.

Two corpora, decoded as the receiver decodes them: the ingest benchmark's agent spans (GenAI
content capture on, ~3.4 KB each; a copy where one span in ten carries an e-mail address, an API
key and a card number), and the captures of real instrumentation libraries in
tests/fixtures/real-clients. Each span is mapped with and without the default rules (and with a
user pattern and an attribute-key list on top); the difference is the redaction cost.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

from bench.workload import Workload
from runlens.collector.receiver.decode import DecodeLimits, decode_traces, parse_traces
from runlens.semconv.mapping import map_span
from runlens.semconv.pricing import PriceTable
from runlens.semconv.records import RawSpan, SpanRecord
from runlens.semconv.redaction import RedactionRules, Redactor

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "real-clients"
SECRETS = (
    " Contact jane.doe@example.com, key sk-proj-4f9XkQ2mZt7LwB8vR1nY3cH6, card 4111 1111 1111 1111."
)
PRICES = PriceTable.load(None)
RULES = {
    "default rules": RedactionRules(),
    "default + pattern + keys": RedactionRules(
        patterns={"employee_id": r"\bEMP-\d{6}\b"}, attribute_keys=("user.id", "http.request.")
    ),
}


def workload_spans(count: int) -> list[RawSpan]:
    spans = [s for batch in Workload(7, 0, time.time_ns()).batches(count, 512) for s in batch]
    request = encode_spans(spans)
    return decode_traces(request, DecodeLimits()).items


def with_secrets(spans: list[RawSpan]) -> list[RawSpan]:
    out: list[RawSpan] = []
    for n, span in enumerate(spans):
        if n % 10 == 0:
            attributes = {
                k: v + SECRETS if isinstance(v, str) and k.startswith("gen_ai.") else v
                for k, v in span.attributes.items()
            }
            out.append(replace(span, attributes=attributes))
        else:
            out.append(span)
    return out


def fixture_spans() -> list[RawSpan]:
    out: list[RawSpan] = []
    for path in sorted(FIXTURES.glob("*/*.json")):
        if path.name.endswith((".logs.json", ".metrics.json")):
            continue
        request = parse_traces(path.read_bytes(), json_encoded=True)
        out.extend(decode_traces(request, DecodeLimits()).items)
    return out


def per_span_us(spans: list[RawSpan], rounds: int, run: Callable[[RawSpan], SpanRecord]) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for span in spans:
            run(span)
        best = min(best, time.perf_counter() - started)
    return best / len(spans) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spans", type=int, default=5_000, help="workload spans (default 5000)")
    parser.add_argument("--rounds", type=int, default=5, help="best of this many passes")
    args = parser.parse_args()
    workload = workload_spans(args.spans)
    fixtures = fixture_spans()
    corpora = {
        "workload spans": workload,
        "workload, 1 in 10 with secrets": with_secrets(workload),
        f"real-client captures ({len(fixtures)} spans, x20)": fixtures * 20,
    }

    def mapped(span: RawSpan) -> SpanRecord:
        return map_span(span, project_id="bench", prices=PRICES)

    print(f"{'corpus':<44} {'rules':<26} {'map µs':>8} {'+redact µs':>11} {'redactions':>10}")
    for name, spans in corpora.items():
        base = per_span_us(spans, args.rounds, mapped)
        for label, rules in RULES.items():
            redactor = Redactor(rules)

            def redacted(span: RawSpan, redactor: Redactor = redactor) -> SpanRecord:
                return redactor.span(span, mapped)

            cost = per_span_us(spans, args.rounds, redacted) - base
            count = sum(
                int(redacted(s).attributes.get("runlens.redaction.count", "0")) for s in spans
            )
            print(f"{name:<44} {label:<26} {base:>8.1f} {cost:>11.1f} {count:>10}")


if __name__ == "__main__":
    main()
