"""OpenTelemetry side of replay: the provider the SDK records with, the processor that makes
a replay its own run, and the canonical input runlens would store for a span's attributes."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider

from runlens.analysis.replay.canonical import canonical_text
from runlens.sdk.replay.session import ReplaySession, current
from runlens.semconv import keys
from runlens.semconv.mapping import map_span
from runlens.semconv.pricing import PriceTable
from runlens.semconv.records import Attributes, RawSpan

REPLAYED = "replayed"
SCOPE = "runlens.sdk.replay"

SpanAttributes = dict[str, str | int | float | bool]


class _SdkTracing:
    provider: trace.TracerProvider | None = None


_sdk = _SdkTracing()


class ReplayRunProcessor(SpanProcessor):
    """Puts every span of the process in the replay run: `runlens.run.id` = the replay's run
    id and `runlens.replay.of` = the original run id, set when the span starts."""

    def __init__(self, session: ReplaySession) -> None:
        self._session = session

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        span.set_attribute(keys.RUNLENS_RUN_ID, self._session.run_id)
        span.set_attribute(keys.RUNLENS_REPLAY_OF, self._session.original_run_id)

    def on_end(self, span: ReadableSpan) -> None:
        pass


def install(tracer_provider: TracerProvider) -> ReplaySession | None:
    """Record the SDK's spans (actions, OpenAI calls) with `tracer_provider` and, when a replay
    is active, put the provider's spans in the replay run. Call it before adding processors
    that export at span start (`StartMarkerSpanProcessor`). Returns the active replay."""
    _sdk.provider = tracer_provider
    session = current()
    if session is not None:
        tracer_provider.add_span_processor(ReplayRunProcessor(session))
    return session


def tracer() -> trace.Tracer:
    """The SDK's tracer: from the installed provider, else the global one."""
    return trace.get_tracer(SCOPE, tracer_provider=_sdk.provider)


def mark_replayed(span: trace.Span) -> None:
    """Mark a span as served from the recording (it costs nothing)."""
    span.set_attribute(keys.RUNLENS_ACTION_OUTCOME, REPLAYED)


def current_chat_span_name(default: str) -> str:
    """The name of the current span when it is a chat span the OpenTelemetry SDK records (an
    instrumentation's span around the model request), else `default`."""
    span = trace.get_current_span()
    if not isinstance(span, ReadableSpan) or not span.is_recording():
        return default
    operation = (span.attributes or {}).get(keys.GEN_AI_OPERATION_NAME)
    return span.name if operation == "chat" else default


def stored_input(
    name: str, attributes: Mapping[str, str | int | float | bool], scope: str = ""
) -> str:
    """The canonical JSON of the input runlens stores for a span with these attributes."""
    values: Attributes = {k: v for k, v in attributes.items()}
    raw = RawSpan(
        trace_id="0" * 32,
        span_id="0" * 16,
        parent_span_id="",
        name=name,
        kind=1,
        start_time_unix_nano=1,
        end_time_unix_nano=2,
        status_code=0,
        status_message="",
        attributes=values,
        scope_name=scope,
    )
    return canonical_text(map_span(raw, project_id="", prices=PriceTable.bundled()).input)
