"""The HTTP API application: health now; GraphQL and export mount here."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from runlens import __version__
from runlens.storage.contract import SpanReader, StorageError


def build_api_app(reader: SpanReader) -> FastAPI:
    app = FastAPI(title="runlens", version=__version__)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """200 once the store answers queries, 503 (with the reason) otherwise."""
        try:
            await run_in_threadpool(reader.ping)
        except StorageError as exc:
            return JSONResponse({"status": "unavailable", "error": str(exc)}, status_code=503)
        return JSONResponse({"status": "ok", "version": __version__})

    return app
