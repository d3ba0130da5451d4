"""The API's side of API keys: every HTTP request and WebSocket connection resolves its key to
a project here, once, before any resolver or handler runs. Failures answer 401 (no or bad key)
or 503 (the key could not be checked) with `{"error": {"code", "message"}}`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from runlens.auth.authenticator import (
    Authenticator,
    AuthUnavailable,
    Unauthenticated,
    credential_from,
)

RETRY_AFTER_S = 2


class AuthFailure(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


async def resolve_project(auth: Authenticator, pairs: Iterable[tuple[str, object]]) -> str:
    """The project of the key in `pairs` (headers or a connection payload)."""
    credential = credential_from(pairs)
    try:
        if credential is None:  # no lookup to wait for: answer on the loop
            return auth.project_for(None)
        return await run_in_threadpool(auth.project_for, credential)
    except Unauthenticated as exc:
        raise AuthFailure(401, "UNAUTHENTICATED", str(exc)) from exc
    except AuthUnavailable as exc:
        raise AuthFailure(503, "UNAVAILABLE", str(exc)) from exc


def project_dependency(auth: Authenticator) -> Callable[[HTTPConnection], Awaitable[str]]:
    """A FastAPI dependency giving the request's project."""

    async def project(connection: HTTPConnection) -> str:
        return await resolve_project(auth, connection.headers.items())

    return project


def install_auth_errors(app: FastAPI) -> None:
    async def answer(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AuthFailure)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
        if exc.status == 503:
            headers["Retry-After"] = str(RETRY_AFTER_S)
        body = {"error": {"code": exc.code, "message": exc.message}}
        return JSONResponse(body, status_code=exc.status, headers=headers)

    app.add_exception_handler(AuthFailure, answer)
