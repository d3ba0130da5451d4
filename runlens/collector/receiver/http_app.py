"""OTLP/HTTP: `POST /v1/traces`, `/v1/logs` and `/v1/metrics`, protobuf or JSON, optionally
gzipped.

Responses use the request's encoding, as the OTLP spec asks: an Export*ServiceResponse on
success (with partial success when items were rejected, or only its message as a warning when
something was stored other than as sent), a `google.rpc.Status` on error —
400 malformed, 401 no valid API key, 413 too large, 415 unsupported media type, 503 (with
`Retry-After`) when the client should retry.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import status_pb2
from starlette.concurrency import run_in_threadpool

from runlens.auth.authenticator import (
    Authenticator,
    AuthUnavailable,
    Unauthenticated,
    credential_from,
)
from runlens.collector.ingest import Ingest, Invalid, Unavailable
from runlens.collector.receiver.decode import DecodeError, DecodeLimits
from runlens.collector.receiver.exports import export_logs, export_metrics, export_traces

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
RETRY_AFTER_S = 2

_GRPC_CODES = {400: 3, 401: 16, 413: 8, 415: 3, 503: 14}  # google.rpc.Code for the Status body


@dataclass(frozen=True, slots=True)
class _Failure(Exception):
    status: int
    message: str


def build_otlp_http_app(
    ingest: Ingest, *, auth: Authenticator, limits: DecodeLimits, max_request_bytes: int
) -> FastAPI:
    app = FastAPI(title="runlens OTLP/HTTP receiver", docs_url=None, redoc_url=None)

    async def handle(request: Request, export: Callable[[bytes, bool, str], Message]) -> Response:
        json_encoded = _media_type(request) != PROTOBUF  # errors for other types in JSON
        try:
            if _media_type(request) not in (PROTOBUF, JSON):
                raise _Failure(
                    415,
                    f"unsupported content type {_media_type(request)!r}; send {PROTOBUF} or {JSON}",
                )
            credential = credential_from(request.headers.items())
            project_id = await run_in_threadpool(auth.project_for, credential)
            body = await _read_body(request, max_request_bytes)
            result = await run_in_threadpool(export, body, json_encoded, project_id)
        except Unauthenticated as exc:
            return _status(401, str(exc), json_encoded)
        except _Failure as failure:
            return _status(failure.status, failure.message, json_encoded)
        except DecodeError as exc:
            return _status(400, str(exc), json_encoded)
        except Invalid as exc:
            return _status(400, str(exc), json_encoded)
        except (Unavailable, AuthUnavailable) as exc:
            return _status(503, str(exc), json_encoded)
        return _encode(200, result, json_encoded)

    @app.post("/v1/traces")
    async def traces(request: Request) -> Response:
        return await handle(request, partial(export_traces, ingest, limits))

    @app.post("/v1/logs")
    async def logs(request: Request) -> Response:
        return await handle(request, partial(export_logs, ingest, limits))

    @app.post("/v1/metrics")
    async def metrics(request: Request) -> Response:
        return await handle(request, partial(export_metrics, ingest, limits))

    return app


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _Failure(413, f"request body of {declared} bytes exceeds the {limit}-byte limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _Failure(413, f"request body exceeds the {limit}-byte limit")
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding == "gzip":
        return _gunzip(body, limit)
    if encoding not in ("identity", ""):
        raise _Failure(415, f"unsupported content encoding {encoding!r}; send gzip or none")
    return body


def _gunzip(body: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise _Failure(400, f"body is not valid gzip: {exc}") from exc
    if len(data) > limit or inflater.unconsumed_tail:
        raise _Failure(413, f"decompressed request body exceeds the {limit}-byte limit")
    if not inflater.eof:
        raise _Failure(400, "gzip body is truncated")
    return data


def _status(code: int, message: str, json_encoded: bool) -> Response:
    status = status_pb2.Status(code=_GRPC_CODES.get(code, 2), message=message)
    response = _encode(code, status, json_encoded)
    if code == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
    if code == 401:
        response.headers["WWW-Authenticate"] = "Bearer"

    return response


def _encode(code: int, message: Message, json_encoded: bool) -> Response:
    if json_encoded:
        body: Any = json_format.MessageToJson(message, indent=None)
        return Response(body, status_code=code, media_type=JSON)
    return Response(message.SerializeToString(), status_code=code, media_type=PROTOBUF)
