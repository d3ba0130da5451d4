"""httpx transports for the OpenAI Python client: record chat completions as GenAI spans and,
in a replay, answer them from the recording without a request.

    client = OpenAI(http_client=httpx.Client(transport=ReplayTransport()))
    client = AsyncOpenAI(http_client=httpx.AsyncClient(transport=AsyncReplayTransport()))

Each non-streamed `POST …/chat/completions` becomes a `chat <model>` span with the messages,
the response and the token usage. In a replay a served call gets the recorded response (token
usage 0, `runlens.action.outcome = replayed`); a call run live goes to the wrapped transport.
Other requests, and streamed completions, always go to the wrapped transport.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from runlens.sdk.replay import openai_chat
from runlens.sdk.replay.recording import Channel
from runlens.sdk.replay.session import current
from runlens.sdk.replay.tracing import mark_replayed, stored_input, tracer

_DROPPED_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


def _is_chat(request: httpx.Request) -> bool:
    return request.method == "POST" and request.url.path.endswith("/chat/completions")


def _chat_body(content: bytes) -> dict[str, Any] | None:
    """The JSON body of a non-streamed chat completion request, else None."""
    try:
        body = json.loads(content or b"{}")
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("stream"):
        return None
    return body


@contextmanager
def _chat_call(
    request: httpx.Request, body: dict[str, Any]
) -> Iterator[tuple[Span, httpx.Response | None]]:
    """The call's span, and the served response when the replay answers it."""
    name = openai_chat.span_name(body)
    attributes = openai_chat.request_attributes(body)
    with tracer().start_as_current_span(name, kind=SpanKind.CLIENT, attributes=attributes) as span:
        session = current()
        entry = None
        if session is not None:
            entry = session.decide(Channel.LLM, name, stored_input(name, attributes))
        if entry is None:
            yield span, None
            return
        mark_replayed(span)
        span.set_attributes(openai_chat.served_attributes(entry))
        yield span, httpx.Response(200, json=openai_chat.completion_of(entry), request=request)


def _live(
    span: Span, request: httpx.Request, response: httpx.Response, content: bytes
) -> httpx.Response:
    """Record the model's answer on the span; the response, its body already read."""
    if response.status_code == 200:
        span.set_attributes(openai_chat.response_attributes(json.loads(content)))
    else:
        span.set_status(Status(StatusCode.ERROR, f"HTTP {response.status_code}"))
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _DROPPED_HEADERS]
    return httpx.Response(response.status_code, headers=headers, content=content, request=request)


class ReplayTransport(httpx.BaseTransport):
    def __init__(self, transport: httpx.BaseTransport | None = None) -> None:
        self._inner = transport if transport is not None else httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = _chat_body(request.read()) if _is_chat(request) else None
        if body is None:
            return self._inner.handle_request(request)
        with _chat_call(request, body) as (span, served):
            if served is not None:
                return served
            response = self._inner.handle_request(request)
            return _live(span, request, response, response.read())

    def close(self) -> None:
        self._inner.close()


class AsyncReplayTransport(httpx.AsyncBaseTransport):
    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._inner = transport if transport is not None else httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = _chat_body(await request.aread()) if _is_chat(request) else None
        if body is None:
            return await self._inner.handle_async_request(request)
        with _chat_call(request, body) as (span, served):
            if served is not None:
                return served
            response = await self._inner.handle_async_request(request)
            return _live(span, request, response, await response.aread())

    async def aclose(self) -> None:
        await self._inner.aclose()
