"""The closed set of errors GraphQL clients see, in `errors[].extensions.code`:

- `BAD_REQUEST`: the query is invalid (syntax, unknown field, wrong argument, bad cursor, page
  too large, too deep); the message says what to change.
- `UNAUTHENTICATED`: no valid API key (a WebSocket that never sent one in its payload).
- `NOT_FOUND`: the object asked for by id does not exist in this project.
- `UNAVAILABLE`: the store cannot answer now; retry later.
- `INTERNAL`: a bug; the message is generic and the details are logged.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from graphql import GraphQLError

from runlens.storage.contract import StorageError

log = logging.getLogger(__name__)


class ErrorCode(StrEnum):
    BAD_REQUEST = "BAD_REQUEST"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    NOT_FOUND = "NOT_FOUND"
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"


class ApiError(Exception):
    """Raised by resolvers; becomes a GraphQL error with `extensions.code`."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        # graphql-core copies this onto the GraphQL error: WebSocket payloads carry the code too.
        self.extensions = {"code": code.value}


def bad_request(message: str) -> ApiError:
    return ApiError(ErrorCode.BAD_REQUEST, message)


def not_found(message: str) -> ApiError:
    return ApiError(ErrorCode.NOT_FOUND, message)


def code_of(error: GraphQLError) -> ErrorCode:
    """Validation and syntax errors have no original error: the request was bad."""
    original = error.original_error
    if isinstance(original, ApiError):
        return original.code
    if isinstance(original, StorageError):
        return ErrorCode.UNAVAILABLE
    if original is None or isinstance(original, GraphQLError):  # e.g. a missing variable
        return ErrorCode.BAD_REQUEST
    return ErrorCode.INTERNAL


def format_error(error: GraphQLError) -> dict[str, Any]:
    code = code_of(error)
    formatted: dict[str, Any] = dict(error.formatted)
    if code is ErrorCode.INTERNAL:
        formatted["message"] = "internal error (logged on the server)"
    elif code is ErrorCode.UNAVAILABLE:
        formatted["message"] = f"the store is unavailable, retry later: {error.message}"
    formatted["extensions"] = {**(error.extensions or {}), "code": code.value}
    return formatted


def mark_code(error: GraphQLError) -> None:
    """Put the code in the error's own extensions: WebSocket messages carry `error.formatted`,
    not `format_error`'s output, and parse or validation errors have no `ApiError` to copy."""
    error.extensions = {**(error.extensions or {}), "code": code_of(error).value}


def log_errors(errors: list[GraphQLError]) -> None:
    """Log what the server must fix (INTERNAL) or watch (UNAVAILABLE); not client mistakes."""
    for error in errors:
        code = code_of(error)
        if code is ErrorCode.INTERNAL:
            log.error("GraphQL resolver failed", exc_info=error.original_error)
        elif code is ErrorCode.UNAVAILABLE:
            log.warning("GraphQL query failed: store unavailable: %s", error.message)
