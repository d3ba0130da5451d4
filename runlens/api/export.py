"""`GET /export/runs`: the project's runs with their actions as CSV, JSON or JSONL, streamed.

Filters are those of the GraphQL `runs` query. The response is produced page by page: each page
of runs (keyset pagination over the run registry) costs one runs query and one spans query for
their actions (plus one for GenAI event logs with `include_payloads`), and is encoded and sent
before the next page is read, so memory stays bounded by the page size whatever the export's.
Bad parameters get a 400 JSON body `{"error": {"code": "BAD_REQUEST", "message": ...}}`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from runlens.api.export_rows import Encoder, ExportFormat, run_object
from runlens.api.graphql.types.common import TimeWindow, window_start
from runlens.api.rate_limit import RateLimiter, retry_after
from runlens.runs.view import RunView, view_of
from runlens.storage.contract import (
    ApiReader,
    RunPosition,
    RunQuery,
    RunSortField,
    RunStatus,
    RunSummary,
    StorageError,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 200
"""Runs read, encoded and sent at a time."""

PAYLOAD_PAGE_SIZE = 50
"""Runs per page when inputs and outputs are included (they can be large)."""

_ALIASES = {
    "format": "format",
    "status": "status",
    "minCostUsd": "min_cost_usd",
    "min_cost_usd": "min_cost_usd",
    "window": "window",
    "agentId": "agent_id",
    "agent_id": "agent_id",
    "search": "search",
    "sort": "sort",
    "direction": "direction",
    "limit": "limit",
    "include_payloads": "include_payloads",
    "includePayloads": "include_payloads",
}
_SORTS = {"STARTED_AT": RunSortField.STARTED_AT, "COST": RunSortField.COST}
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no", ""}


class ExportParamError(ValueError):
    """A query parameter of the export is invalid; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class ExportRequest:
    format: ExportFormat
    query: RunQuery  # filters and sort; `limit` and `after` are set page by page
    limit: int | None  # runs in the whole export; None: every matching run
    include_payloads: bool


def _choice(name: str, value: str, choices: Sequence[str]) -> str:
    upper = value.strip().upper()
    if upper not in choices:
        raise ExportParamError(
            f"invalid {name} {value!r}: use one of {', '.join(c.lower() for c in choices)}"
        )
    return upper


def parse_export(params: Sequence[tuple[str, str]], project_id: str, now_ns: int) -> ExportRequest:
    """The export asked for by the query string; `ExportParamError` when it is invalid."""
    values: dict[str, str] = {}
    statuses: list[RunStatus] = []
    for raw_name, value in params:
        name = _ALIASES.get(raw_name)
        if name is None:
            raise ExportParamError(
                f"unknown parameter {raw_name!r}: use format, status, minCostUsd, window, "
                "agentId, search, sort, direction, limit, include_payloads"
            )
        if name == "status":
            for part in filter(None, (p.strip() for p in value.split(","))):
                choice = _choice("status", part, [s.value.upper() for s in RunStatus])
                statuses.append(RunStatus(choice.lower()))
            continue
        if name in values:
            raise ExportParamError(f"parameter {raw_name!r} is given more than once")
        values[name] = value

    format_text = values.get("format", ExportFormat.JSONL.value).strip().lower()
    if format_text not in {f.value for f in ExportFormat}:
        raise ExportParamError(f"unknown format {format_text!r}: use csv, json or jsonl")
    window = _choice("window", values.get("window", "ALL"), [w.name for w in TimeWindow])
    sort = _choice("sort", values.get("sort", "STARTED_AT"), list(_SORTS))
    direction = _choice("direction", values.get("direction", "DESC"), ["ASC", "DESC"])
    query = RunQuery(
        project_id=project_id,
        limit=PAGE_SIZE,
        statuses=tuple(dict.fromkeys(statuses)),
        min_cost_usd=_min_cost(values.get("min_cost_usd")),
        started_after_unix_nano=window_start(TimeWindow[window], now_ns),
        agent_id=values.get("agent_id") or None,
        search=values.get("search") or None,
        sort=_SORTS[sort],
        descending=direction == "DESC",
    )
    return ExportRequest(
        format=ExportFormat(format_text),
        query=query,
        limit=_limit(values.get("limit")),
        include_payloads=_flag("include_payloads", values.get("include_payloads", "false")),
    )


def _min_cost(text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ExportParamError(f"invalid minCostUsd {text!r}: use a number of USD >= 0")
    return value


def _limit(text: str | None) -> int | None:
    if text is None or not text.strip():
        return None
    try:
        value = int(text)
    except ValueError:
        raise ExportParamError(f"invalid limit {text!r}: use a whole number >= 0") from None
    if value < 0:
        raise ExportParamError(f"invalid limit {value}: use a whole number >= 0")
    return value


def _flag(name: str, text: str) -> bool:
    folded = text.strip().lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise ExportParamError(f"invalid {name} {text!r}: use true or false")


# -- Streaming ------------------------------------------------------------------------------


def _position(summary: RunSummary, sort: RunSortField) -> RunPosition:
    value = summary.cost_usd if sort is RunSortField.COST else summary.started_at_unix_nano
    return RunPosition(value, summary.run_id)


def pages(
    reader: ApiReader, request: ExportRequest, page_size: int
) -> Iterator[list[tuple[RunSummary, RunView]]]:
    """The export's runs with the run model's view of their actions, one page at a time (three
    reads per page, four with payloads)."""
    remaining = request.limit
    after: RunPosition | None = None
    while remaining is None or remaining > 0:
        size = page_size if remaining is None else min(page_size, remaining)
        summaries = reader.runs_page(replace(request.query, limit=size, after=after))
        if not summaries:
            return
        run_ids = [s.run_id for s in summaries]
        timelines = reader.run_actions(request.query.project_id, run_ids, request.include_payloads)
        found = [(s, timelines.get(s.run_id)) for s in summaries]
        yield [(s, view_of(t, s, uncounted=t.uncounted if t is not None else ())) for s, t in found]
        if len(summaries) < size:
            return
        if remaining is not None:
            remaining -= len(summaries)
        after = _position(summaries[-1], request.query.sort)


def export_chunks(
    reader: ApiReader, request: ExportRequest, page_size: int | None = None
) -> Iterator[bytes]:
    """The encoded export: one chunk per page (the first one with the header), then the tail."""
    if page_size is None:
        page_size = PAYLOAD_PAGE_SIZE if request.include_payloads else PAGE_SIZE
    payloads = request.include_payloads
    encoder = Encoder(request.format, payloads)
    prefix = encoder.head()
    for page in pages(reader, request, page_size):
        runs = [run_object(s, actions, payloads) for s, actions in page]
        yield (prefix + encoder.page(runs)).encode()
        prefix = ""
    tail = prefix + encoder.tail()
    if tail:
        yield tail.encode()


def _then(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    try:
        yield from rest
    except StorageError as exc:
        # Headers are sent: aborting the connection is how the client learns the export is cut.
        log.warning("export interrupted: store unavailable: %s", exc)
        raise


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


_ERROR_BODY = {"application/json": {"example": {"error": {"code": "BAD_REQUEST", "message": ""}}}}
# What the OpenAPI schema says of /export/runs (its parameters are read from the query string).
_EXPORT_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The runs, streamed in the requested format.",
        "content": {f.media_type.split(";")[0]: {} for f in ExportFormat},
    },
    400: {"description": "A filter or the format is invalid.", "content": _ERROR_BODY},
    429: {"description": "Too many exports for this project; see Retry-After."},
    503: {"description": "The store is unavailable; retry later.", "content": _ERROR_BODY},
}


def build_export_router(
    reader: ApiReader,
    project: Callable[[HTTPConnection], Awaitable[str]],
    limiter: RateLimiter | None = None,
) -> APIRouter:
    """`project` is the dependency that resolves a request's API key to its project;
    `limiter` bounds each project's exports (429 with `Retry-After` past it)."""
    router = APIRouter()

    @router.get("/export/runs", responses=_EXPORT_RESPONSES)
    async def export_runs(request: Request, project_id: str = Depends(project)) -> Response:
        if limiter is not None and (wait := limiter.take(project_id)) > 0:
            response = _error(
                429,
                "RATE_LIMITED",
                f"too many exports for this project: at most {limiter.burst} at once and "
                f"{limiter.per_minute:g} per minute; retry in {retry_after(wait)} s",
            )
            response.headers["Retry-After"] = retry_after(wait)
            return response
        now = time.time_ns()
        try:
            export = parse_export(request.query_params.multi_items(), project_id, now)
        except ExportParamError as exc:
            return _error(400, "BAD_REQUEST", str(exc))
        chunks = export_chunks(reader, export)
        try:
            total = await run_in_threadpool(reader.count_runs, export.query)
            first = await run_in_threadpool(next, chunks, b"")  # the first page, or nothing
        except StorageError as exc:
            return _error(503, "UNAVAILABLE", f"the store is unavailable, retry later: {exc}")
        if export.limit is not None:
            total = min(total, export.limit)
        stamp = datetime.fromtimestamp(now / 1e9, UTC).strftime("%Y%m%dT%H%M%SZ")
        headers = {
            "Content-Disposition": f"attachment; filename=runs-{stamp}.{export.format.value}",
            "X-Total-Count": str(total),
        }
        return StreamingResponse(
            _then(first, chunks), media_type=export.format.media_type, headers=headers
        )

    return router
