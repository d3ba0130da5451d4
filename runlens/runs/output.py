"""Output chunks of a run's events: a tool's terminal output and an LLM call's streamed text
(`runlens.output.*` log records, in order)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from runlens.runs.events import json_value
from runlens.runs.view import TERMINAL, RunView
from runlens.semconv.records import LogRecord, SpanRecord

EXIT_CODE_KEYS = ("process.exit.code", "process.exit_code")


@dataclass(frozen=True, slots=True)
class Terminal:
    text: str
    stdout: str
    stderr: str
    exit_code: int | None
    bytes: int
    chunk_count: int
    truncated: bool


def chunk_text(chunk: LogRecord) -> str:
    value = json_value(chunk.body)
    return value if isinstance(value, str) else ("" if value is None else json.dumps(value))


def streamed_text(view: RunView, span: SpanRecord) -> str | None:
    """The model text streamed so far, None when nothing was."""
    chunks = [c for c in view.chunks.get(span.span_id, ()) if c.stream == "model"]
    return "".join(chunk_text(c) for c in chunks) if chunks else None


def terminal_output(view: RunView, span: SpanRecord) -> Terminal | None:
    """A tool's terminal output, None when it sent none."""
    chunks = [c for c in view.chunks.get(span.span_id, ()) if c.stream in TERMINAL]
    if not chunks:
        return None
    texts = [(chunk_text(c), c.stream) for c in chunks]
    text = "".join(t for t, _ in texts)
    return Terminal(
        text=text,
        stdout="".join(t for t, stream in texts if stream == "stdout"),
        stderr="".join(t for t, stream in texts if stream == "stderr"),
        exit_code=exit_code(span),
        bytes=len(text.encode()),
        chunk_count=len(chunks),
        truncated=any(c.truncated for c in chunks),
    )


def exit_code(span: SpanRecord) -> int | None:
    for key in EXIT_CODE_KEYS:
        try:
            return int(span.attributes[key])
        except (KeyError, ValueError):
            continue
    result = json_value(span.output)
    if isinstance(result, dict):
        for key in ("exit_code", "returncode"):
            if isinstance(result.get(key), int):
                return int(result[key])
    return None
