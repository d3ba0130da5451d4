"""`/admin/keys`: API keys managed through a running server, for `runlens keys` while the
server holds the embedded store (runlens/local_admin.py). Loopback clients with the admin token
only; a key created here works at once, a key revoked here stops working at once."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from runlens.api.auth import AuthFailure
from runlens.auth.authenticator import Authenticator
from runlens.auth.key_admin import InvalidProject, create_key, revoke_key, to_json
from runlens.local_admin import ADMIN_HEADER
from runlens.storage.contract import StorageError
from runlens.storage.keys import KeyStore


def is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def holds_admin_token(connection: HTTPConnection, token: str, given: str | None = None) -> bool:
    """A loopback client carrying the admin token (in `x-runlens-admin-token`, or `given`)."""
    client = connection.client
    if client is None or not is_loopback(client.host):
        return False
    given = given if given is not None else connection.headers.get(ADMIN_HEADER)
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def admin_dependency(token: str) -> Callable[[HTTPConnection], Awaitable[None]]:
    async def admin(connection: HTTPConnection) -> None:
        client = connection.client
        if client is None or not is_loopback(client.host):
            raise AuthFailure(403, "FORBIDDEN", "the admin endpoints answer loopback clients only")
        if not holds_admin_token(connection, token):
            raise AuthFailure(
                401,
                "UNAUTHENTICATED",
                f"missing or wrong {ADMIN_HEADER}: it is in runlens-admin.json in the data "
                "directory of the server, readable by its user",
            )

    return admin


def _unavailable(exc: StorageError) -> JSONResponse:
    body = {"error": {"code": "UNAVAILABLE", "message": f"the store failed: {exc}"}}
    return JSONResponse(body, status_code=503)


def build_admin_router(keys: KeyStore, auth: Authenticator, token: str) -> APIRouter:
    router = APIRouter(dependencies=[Depends(admin_dependency(token))])

    @router.get("/keys")
    async def list_keys(project: str | None = None) -> JSONResponse:
        try:
            found = await run_in_threadpool(keys.list_keys, project)
        except StorageError as exc:
            return _unavailable(exc)
        return JSONResponse({"keys": [to_json(key) for key in found]})

    @router.post("/keys")
    async def create(project: str = Body(), name: str = Body("")) -> JSONResponse:
        try:
            record, text = await run_in_threadpool(create_key, keys, project, name)
        except InvalidProject as exc:
            body = {"error": {"code": "BAD_REQUEST", "message": str(exc)}}
            return JSONResponse(body, status_code=400)
        except StorageError as exc:
            return _unavailable(exc)
        return JSONResponse({"key": to_json(record), "secret": text})

    @router.post("/keys/revoke")
    async def revoke(key: str = Body(embed=True)) -> JSONResponse:
        try:
            outcome = await run_in_threadpool(revoke_key, keys, key)
        except StorageError as exc:
            return _unavailable(exc)
        if outcome.key is not None:
            auth.forget(outcome.key.key_id)
        found: dict[str, Any] | None = None if outcome.key is None else to_json(outcome.key)
        return JSONResponse({"key": found, "already_revoked": outcome.already_revoked})

    return router
