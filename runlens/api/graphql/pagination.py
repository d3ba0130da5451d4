"""Relay-style cursor pagination: page sizes, opaque cursors and `PageInfo`.

A cursor is URL-safe base64 of a JSON array `[kind, ...position]`; its kind ties it to the
listing (and sort) that produced it, so a cursor from another listing is a BAD_REQUEST.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import strawberry

from runlens.api.graphql.errors import bad_request

DEFAULT_PAGE_SIZE = 50


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def page_size(first: int | None, maximum: int, default: int = DEFAULT_PAGE_SIZE) -> int:
    """`first`, or `default` when absent; BAD_REQUEST past `maximum` (never a smaller page)."""
    if first is None:
        return min(default, maximum)
    if first < 0 or first > maximum:
        raise bad_request(
            f"`first` must be between 0 and {maximum} (got {first}); "
            "page through larger listings with `after`"
        )
    return first


def encode_cursor(kind: str, *position: Any) -> str:
    raw = json.dumps([kind, *position], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str) -> list[Any]:
    """The position stored in `cursor`; BAD_REQUEST unless it is a cursor of `kind`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, list) or not data or data[0] != kind:
        raise bad_request(
            f"invalid cursor {cursor!r}: pass an `endCursor` or `cursor` returned by this "
            "same field with the same sort"
        )
    return data[1:]
