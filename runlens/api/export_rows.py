"""Pure encoding of exported runs: a run and its actions as a JSON object (GraphQL field names),
and the three formats of `GET /export/runs` (docs/api.md, "Export").

- `json`: one array, one run per line (`[`, runs separated by `,` line ends, `]`);
- `jsonl`: one run per line;
- `csv`: a header row, then one row per action with the run's columns repeated (a run with no
  action gets one row with empty action columns).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from runlens.api.graphql.types.common import timestamp
from runlens.runs.events import duration_ms, event_id, event_outcome, event_status, json_value
from runlens.runs.view import RunView
from runlens.semconv.records import SpanKind, SpanRecord, SpanStatus, TokenUsage
from runlens.storage.contract import RunStatus, RunSummary

Json = dict[str, Any]


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    JSONL = "jsonl"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]


_MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.JSON: "application/json",
    ExportFormat.JSONL: "application/x-ndjson",
}


def iso(unix_nano: int) -> str | None:
    """ISO 8601 in UTC with microseconds, as GraphQL's `DateTime`; None for 0 ("not yet")."""
    moment = timestamp(unix_nano)
    return None if moment is None else moment.isoformat()


def _tokens(input: int, cached: int, cache_write: int, output: int, reasoning: int) -> Json:
    return {
        "input": input,
        "cached": cached,
        "cacheWrite": cache_write,
        "output": output,
        "reasoning": reasoning,
        "total": input + output,
    }


def action_object(span: SpanRecord, summary: RunSummary, payloads: bool, counted: bool) -> Json:
    """An action; `counted` is false for an LLM call the run's totals do not count (a wrapper
    of another LLM call, a repeat of a response: docs/semconv.md, "What a run counts")."""
    running = span.status is SpanStatus.RUNNING
    outcome = event_outcome(span)
    usage: TokenUsage = span.usage
    action: Json = {
        "id": event_id(span.span_id),
        "spanId": span.span_id,
        "parentId": span.parent_span_id or None,
        "kind": span.kind.value.upper(),
        "name": span.name,
        "status": event_status(span, summary).upper(),
        "outcome": None if outcome is None else outcome.upper(),
        "startedAt": iso(span.start_time_unix_nano),
        "endedAt": iso(span.end_time_unix_nano) if not running else None,
        "durationMs": duration_ms(span),
        "costUsd": span.cost_usd,
        "counted": counted,
        "tokens": _tokens(
            usage.input, usage.cached_input, usage.cache_write, usage.output, usage.reasoning
        ),
        "model": span.model or None,
        "toolName": span.tool_name or None,
        "errorType": span.error_type or None,
        "errorMessage": span.error_message or None,
    }
    if payloads:
        action["input"] = json_value(span.input)
        action["output"] = json_value(span.output)
    return action


_LLM_KINDS = (SpanKind.LLM_CALL, SpanKind.SUMMARIZATION)


def run_object(summary: RunSummary, actions: RunView, payloads: bool) -> Json:
    """A run with the names GraphQL's `Run` uses, and its actions (the run model's view of them,
    `counted` as the view says for LLM calls) in start order."""
    s = summary
    ended = s.status is not RunStatus.RUNNING and s.ended_at_unix_nano > 0
    tokens = _tokens(
        s.input_tokens, s.cached_tokens, s.cache_write_tokens, s.output_tokens, s.reasoning_tokens
    )
    return {
        "id": s.run_id,
        "name": s.name,
        "agent": {"id": s.agent_id, "name": s.agent_name},
        "status": s.status.value.upper(),
        "statusReason": s.status_reason or None,
        "startedAt": iso(s.started_at_unix_nano),
        "endedAt": iso(s.ended_at_unix_nano),
        "durationMs": (
            max(s.ended_at_unix_nano - s.started_at_unix_nano, 0) / 1e6 if ended else None
        ),
        "actionCount": s.action_count,
        "spanCount": s.span_count,
        "turns": s.turns,
        "successRate": (
            100.0 if s.action_count == 0 else 100.0 * s.action_ok_count / s.action_count
        ),
        "costUsd": s.known_cost_usd,
        "costComplete": s.unpriced_count == 0,
        "models": list(s.models),
        "tokens": tokens,
        "errorType": s.error_type or None,
        "errorMessage": s.error_message or None,
        "actions": [
            action_object(
                span,
                summary,
                payloads,
                span.kind not in _LLM_KINDS or span.span_id in actions.counted,
            )
            for span in actions.spans
        ],
    }


# -- CSV: (column, path into the run object / action object) ----------------------------------

_RUN_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("run_id", ("id",)),
    ("run_name", ("name",)),
    ("agent_id", ("agent", "id")),
    ("agent_name", ("agent", "name")),
    ("run_status", ("status",)),
    ("run_status_reason", ("statusReason",)),
    ("run_started_at", ("startedAt",)),
    ("run_ended_at", ("endedAt",)),
    ("run_duration_ms", ("durationMs",)),
    ("run_action_count", ("actionCount",)),
    ("run_turns", ("turns",)),
    ("run_success_rate", ("successRate",)),
    ("run_cost_usd", ("costUsd",)),
    ("run_cost_complete", ("costComplete",)),
    ("run_models", ("models",)),
    ("run_input_tokens", ("tokens", "input")),
    ("run_cached_tokens", ("tokens", "cached")),
    ("run_output_tokens", ("tokens", "output")),
    ("run_reasoning_tokens", ("tokens", "reasoning")),
    ("run_total_tokens", ("tokens", "total")),
    ("run_error_type", ("errorType",)),
    ("run_error_message", ("errorMessage",)),
)

_ACTION_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("action_id", ("id",)),
    ("action_span_id", ("spanId",)),
    ("action_parent_id", ("parentId",)),
    ("action_kind", ("kind",)),
    ("action_name", ("name",)),
    ("action_status", ("status",)),
    ("action_outcome", ("outcome",)),
    ("action_started_at", ("startedAt",)),
    ("action_ended_at", ("endedAt",)),
    ("action_duration_ms", ("durationMs",)),
    ("action_cost_usd", ("costUsd",)),
    ("action_counted", ("counted",)),
    ("action_input_tokens", ("tokens", "input")),
    ("action_cached_tokens", ("tokens", "cached")),
    ("action_output_tokens", ("tokens", "output")),
    ("action_reasoning_tokens", ("tokens", "reasoning")),
    ("action_total_tokens", ("tokens", "total")),
    ("action_model", ("model",)),
    ("action_tool_name", ("toolName",)),
    ("action_error_type", ("errorType",)),
    ("action_error_message", ("errorMessage",)),
)

_PAYLOAD_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("action_input", ("input",)),
    ("action_output", ("output",)),
)


def csv_header(payloads: bool) -> list[str]:
    columns = _RUN_COLUMNS + _ACTION_COLUMNS + (_PAYLOAD_COLUMNS if payloads else ())
    return [name for name, _ in columns]


def _cell(obj: Json, path: tuple[str, ...], payload: bool = False) -> str:
    value: Any = obj
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if payload:  # input/output: JSON text (a string payload as itself)
        return value if isinstance(value, str) else _json(value)
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    return str(value)


def csv_rows(run: Json, payloads: bool) -> list[list[str]]:
    """One row per action (run columns repeated), or one row with empty action columns."""
    head = [_cell(run, path) for _, path in _RUN_COLUMNS]
    actions: list[Json] = run["actions"]
    if not actions:
        width = len(_ACTION_COLUMNS) + (len(_PAYLOAD_COLUMNS) if payloads else 0)
        return [head + [""] * width]
    rows = []
    for action in actions:
        row = head + [_cell(action, path) for _, path in _ACTION_COLUMNS]
        if payloads:
            row += [_cell(action, path, payload=True) for _, path in _PAYLOAD_COLUMNS]
        rows.append(row)
    return rows


class Encoder:
    """Text of one export, page by page: `head()`, then `page(runs)` for every page, `tail()`."""

    def __init__(self, format: ExportFormat, payloads: bool) -> None:
        self.format = format
        self.payloads = payloads
        self._written = 0

    def head(self) -> str:
        if self.format is ExportFormat.JSON:
            return "[\n"
        if self.format is ExportFormat.CSV:
            return _csv_text([csv_header(self.payloads)])
        return ""

    def page(self, runs: Sequence[Json]) -> str:
        if self.format is ExportFormat.CSV:
            text = _csv_text([row for run in runs for row in csv_rows(run, self.payloads)])
        else:
            lines = [_json(run) for run in runs]
            if self.format is ExportFormat.JSON:
                text = ",\n".join(lines)
                text = ",\n" + text if self._written and lines else text
            else:
                text = "".join(line + "\n" for line in lines)
        self._written += len(runs)
        return text

    def tail(self) -> str:
        if self.format is ExportFormat.JSON:
            return "\n]\n" if self._written else "]\n"
        return ""


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()
