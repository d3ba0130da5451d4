"""`GET /export/runs/{run_id}/output/{span_id}`: a tool's whole terminal output, its stdout and
stderr chunks in order (as the Timeline shows them), as text/plain. The run's project is the
request's API key's, as for `/export/runs`; an unknown run or a span without output is a 404."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from runlens.runs.output import chunk_text
from runlens.runs.view import TERMINAL, sorted_chunks
from runlens.storage.contract import ApiReader, StorageError


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def build_output_router(
    reader: ApiReader, project: Callable[[HTTPConnection], Awaitable[str]]
) -> APIRouter:
    router = APIRouter()

    @router.get(
        "/export/runs/{run_id}/output/{span_id}",
        response_class=PlainTextResponse,
        responses={404: {"description": "No such run, or the span sent no terminal output."}},
    )
    async def tool_output(
        run_id: str, span_id: str, project_id: str = Depends(project)
    ) -> Response:
        try:
            summaries = await run_in_threadpool(reader.run_summaries, project_id, [run_id])
            found = await run_in_threadpool(
                reader.run_timelines, project_id, [run_id], summaries, frozenset(), True
            )
        except StorageError as exc:
            return _error(503, "UNAVAILABLE", f"the store is unavailable, retry later: {exc}")
        timeline = found.get(run_id)
        logs = [] if timeline is None else timeline.logs
        mine = [c for c in logs if c.span_id == span_id.lower() and c.stream in TERMINAL]
        chunks = sorted_chunks({span_id: mine}).get(span_id, ())
        if not chunks:
            return _error(
                404, "NOT_FOUND", f"run {run_id!r} has no terminal output for span {span_id!r}"
            )
        headers = {"Content-Disposition": f'inline; filename="{span_id}-output.txt"'}
        text = "".join(chunk_text(c) for c in chunks)
        return PlainTextResponse(text, headers=headers)

    return router
