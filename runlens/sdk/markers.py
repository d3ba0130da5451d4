"""Start markers: a span exported while it is still open, so runlens shows it as running.

runlens stores the marker and the ended span as one span (same trace and span id); the ended
version always wins. docs/semconv.md describes the `runlens.span.state` key.
"""

from __future__ import annotations

from opentelemetry.sdk.trace import ReadableSpan

SPAN_STATE = "runlens.span.state"
STARTED = "started"


def start_marker(span: ReadableSpan) -> ReadableSpan:
    """A copy of `span` as a start marker: same ids and attributes plus the marker key, no end."""
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes={**dict(span.attributes or {}), SPAN_STATE: STARTED},
        kind=span.kind,
        start_time=span.start_time,
        end_time=span.start_time,
        instrumentation_scope=span.instrumentation_scope,
    )
