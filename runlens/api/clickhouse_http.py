"""`/clickhouse`: read-only SQL over the `runlens` database through a subset of ClickHouse's
HTTP interface, so clickhouse-connect (`get_client(host, port, proxy_path="/clickhouse")`), BI
tools and `curl` query the store while runlens ingests (the embedded store admits one process).

The statement comes from the `query` parameter and/or the body (GET or POST); `default_format`
(TabSeparated when absent), `database` (`runlens` only) and `param_NAME` (values of `{NAME:Type}`
placeholders) are read, other parameters (compression, settings, ids) are ignored. Errors answer
as ClickHouse does: `Code: N. DB::Exception: message` with `X-ClickHouse-Exception-Code`.

Who may query: with auth disabled, any client that reaches the API port (as for GraphQL without
a key); with auth required, only the administrator: a loopback client giving the server's admin
token (runlens/local_admin.py) as the password (`X-ClickHouse-Key`, basic auth or `password`).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from runlens.api.admin import holds_admin_token
from runlens.auth.authenticator import Authenticator
from runlens.storage.contract import StorageError
from runlens.storage.sql import SqlError, SqlReader

DATABASE = "runlens"
_NAMES = {164: "READONLY", 497: "ACCESS_DENIED", 62: "SYNTAX_ERROR", 516: "AUTHENTICATION_FAILED"}
_STATUS = {164: 403, 497: 403, 516: 401, 62: 400, 47: 400, 60: 404, 81: 404, 456: 400}


def _error(code: int, message: str, status: int | None = None) -> PlainTextResponse:
    name = _NAMES.get(code)
    text = f"Code: {code}. DB::Exception: {message}" + (f" ({name})" if name else "") + "\n"
    return PlainTextResponse(
        text,
        status_code=status or _STATUS.get(code, 500),
        headers={"X-ClickHouse-Exception-Code": str(code)},
    )


def _password(request: Request) -> str | None:
    """The password a ClickHouse client sends: `X-ClickHouse-Key`, basic auth or `password`."""
    if key := request.headers.get("x-clickhouse-key"):
        return key
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return None
    return request.query_params.get("password")


def build_clickhouse_router(sql: SqlReader, auth: Authenticator, admin_token: str) -> APIRouter:
    router = APIRouter()

    @router.api_route("/ping", methods=["GET", "HEAD"])
    async def ping() -> PlainTextResponse:
        return PlainTextResponse("Ok.\n")

    @router.api_route("/", methods=["GET", "POST"])
    @router.api_route("", methods=["GET", "POST"])
    async def query(request: Request) -> Response:
        if auth.required and not (
            holds_admin_token(request, admin_token, _password(request))
            or holds_admin_token(request, admin_token)
        ):
            return _error(
                516,
                "with auth required, SQL is for the administrator: a loopback client giving "
                "the admin token of runlens-admin.json as its password",
            )
        params = request.query_params
        if params.get("database", DATABASE) != DATABASE:
            return _error(497, f"only the {DATABASE} database is served")
        body = await request.body()
        if request.headers.get("content-encoding", "identity") != "identity":
            return _error(164, "compressed bodies carry inserts: the door is read-only")
        try:
            text = " ".join(part for part in (params.get("query", ""), body.decode()) if part)
        except UnicodeDecodeError:
            return _error(164, "the body is not a UTF-8 query: the door is read-only")
        if not text.strip():
            return _error(62, "empty query", status=400)
        fmt = params.get("default_format", "TabSeparated")
        bound = {k.removeprefix("param_"): v for k, v in params.items() if k.startswith("param_")}
        try:
            result = await run_in_threadpool(sql.run_sql, text, fmt, bound)
        except SqlError as exc:
            return _error(exc.code, exc.message)
        except StorageError as exc:
            return _error(210, f"the store is unavailable: {exc}", status=503)
        return Response(
            result,
            media_type="text/plain; charset=UTF-8",
            headers={
                "X-ClickHouse-Query-Id": params.get("query_id") or str(uuid.uuid4()),
                "X-ClickHouse-Timezone": "UTC",
                "X-ClickHouse-Server-Display-Name": "runlens",
                "X-ClickHouse-Summary": json.dumps({"read_rows": "0", "read_bytes": "0"}),
            },
        )

    return router
