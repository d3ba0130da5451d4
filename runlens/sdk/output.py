"""Stream a span's output while it is produced: a tool's stdout/stderr, or the text an LLM call
streams, as OTLP log records correlated to the span (docs/semconv.md, `runlens.output.*`).
Subscribers of `runEvents` get each chunk as it is stored (OUTPUT_CHUNK / MODEL_TEXT_DELTA).

    with SpanOutput(logger, span, "model") as out:
        for delta in stream:
            out.write(delta)

`logger` is an OpenTelemetry logger whose provider exports to runlens (an `OTLPLogExporter`,
ideally behind a `BatchLogRecordProcessor` with a short delay for live output).
"""

from __future__ import annotations

from types import TracebackType
from typing import Literal

from opentelemetry import trace
from opentelemetry._logs import Logger
from opentelemetry.trace import Span

from runlens.semconv.keys import (
    RUNLENS_OUTPUT_EOF,
    RUNLENS_OUTPUT_SEQ,
    RUNLENS_OUTPUT_STREAM,
    RUNLENS_RUN_ID,
)

Stream = Literal["stdout", "stderr", "model"]


class SpanOutput:
    """One stream of one span: chunks numbered from 0, the last one marked end-of-stream."""

    def __init__(self, logger: Logger, span: Span, stream: Stream) -> None:
        self._logger, self._span, self._stream = logger, span, stream
        self._seq = 0
        self._closed = False
        run_id = getattr(span, "attributes", {}).get(RUNLENS_RUN_ID)
        self._run = {RUNLENS_RUN_ID: run_id} if isinstance(run_id, str) else {}

    def write(self, text: str) -> None:
        if self._closed:
            raise ValueError(f"the {self._stream} stream of this span is closed")
        if text:
            self._emit(text, eof=False)

    def close(self) -> None:
        """Mark the end of the stream (an empty last chunk); later writes are errors."""
        if not self._closed:
            self._emit("", eof=True)
            self._closed = True

    def _emit(self, text: str, *, eof: bool) -> None:
        attributes: dict[str, str | int | bool] = {
            RUNLENS_OUTPUT_STREAM: self._stream,
            RUNLENS_OUTPUT_SEQ: self._seq,
            **self._run,
        }
        if eof:
            attributes[RUNLENS_OUTPUT_EOF] = True
        self._logger.emit(
            context=trace.set_span_in_context(self._span), body=text, attributes=attributes
        )
        self._seq += 1

    def __enter__(self) -> SpanOutput:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
