"""An offline OpenAI-compatible server, for trying instrumented agents without an API key.

    python examples/fake_openai_server.py --port 9100
    export OPENAI_BASE_URL=http://127.0.0.1:9100/v1 OPENAI_API_KEY=fake

It answers `POST /v1/chat/completions` (plain and streamed, with tool calls) and
`POST /v1/responses` (the Responses API, plain and streamed, which the OpenAI Agents SDK uses),
deterministically, with no model behind it. The request chooses the scenario:

- a user message containing `[overflow]`: HTTP 400, `context_length_exceeded`, as OpenAI answers
  a prompt longer than the model's context window;
- tools offered and no tool result in the conversation yet: the model calls the first tool, with
  arguments made from its JSON schema (strings `"Paris"`, numbers `1`, booleans `true`);
- otherwise a text answer: `The tool said: <last tool result>.` after a tool result, else
  `Hello from the fake model.`

`stream: true` streams the same answer in chunks (Chat Completions sends its usage in a last
chunk when `stream_options.include_usage` is set, as OpenAI does). Every answer echoes the
requested model with a dated suffix (`gpt-4o-mini` -> `gpt-4o-mini-2024-07-18`) and reports a
fixed usage, with cached and reasoning tokens: `TOOL_CALL_USAGE` for a turn that calls a tool,
`ANSWER_USAGE` for a text answer. Tests import this module to start it in a thread
(`FakeOpenAI().start()`) and to read the usage it reported.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SNAPSHOT = "2024-07-18"
OVERFLOW_MARKER = "[overflow]"
GREETING = "Hello from the fake model."
OVERFLOW_MESSAGE = (
    "This model's maximum context length is 128000 tokens. However, your messages resulted in "
    "131072 tokens. Please reduce the length of the messages."
)
CREATED = 1_765_000_000


@dataclass(frozen=True)
class Usage:
    """What the server reports for one answer; `input` includes `cached`, `output` `reasoning`."""

    input: int
    cached: int
    output: int
    reasoning: int

    @property
    def total(self) -> int:
        return self.input + self.output

    def chat(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.input,
            "completion_tokens": self.output,
            "total_tokens": self.total,
            "prompt_tokens_details": {"cached_tokens": self.cached, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": self.reasoning, "audio_tokens": 0},
        }

    def responses(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input,
            "input_tokens_details": {"cached_tokens": self.cached},
            "output_tokens": self.output,
            "output_tokens_details": {"reasoning_tokens": self.reasoning},
            "total_tokens": self.total,
        }


TOOL_CALL_USAGE = Usage(input=310, cached=128, output=42, reasoning=16)
ANSWER_USAGE = Usage(input=452, cached=256, output=64, reasoning=24)


@dataclass(frozen=True)
class Reply:
    """The model's decision for one request: a tool call, a text, or an error."""

    text: str | None = None
    tool: str | None = None
    arguments: str = "{}"
    error: bool = False

    @property
    def usage(self) -> Usage:
        return TOOL_CALL_USAGE if self.tool else ANSWER_USAGE


def _text_of(content: Any) -> str:
    """The text in a message's content: a string, or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_text_of(p.get("text", p.get("content"))) for p in content if p)
    return ""


def _arguments(schema: dict[str, Any]) -> str:
    defaults = {"string": "Paris", "integer": 1, "number": 1, "boolean": True}
    properties = schema.get("properties") or {}
    required = schema.get("required") or list(properties)
    arguments = {
        name: defaults.get(properties.get(name, {}).get("type", "string"), "Paris")
        for name in required
    }
    return json.dumps(arguments)


def decide(
    user_texts: list[str], tools: list[tuple[str, dict[str, Any]]], results: list[str]
) -> Reply:
    """The scenario rules of the module docstring."""
    if any(OVERFLOW_MARKER in text for text in user_texts):
        return Reply(error=True)
    if tools and not results:
        name, schema = tools[0]
        return Reply(tool=name, arguments=_arguments(schema))
    return Reply(text=f"The tool said: {results[-1]}." if results else GREETING)


def chat_reply(body: dict[str, Any]) -> Reply:
    messages = body.get("messages") or []
    users = [_text_of(m.get("content")) for m in messages if m.get("role") == "user"]
    results = [_text_of(m.get("content")) for m in messages if m.get("role") == "tool"]
    tools = [
        (t["function"]["name"], t["function"].get("parameters") or {})
        for t in body.get("tools") or []
        if t.get("type") == "function"
    ]
    return decide(users, tools, results)


def responses_reply(body: dict[str, Any]) -> Reply:
    items = body.get("input") or []
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    users = [_text_of(i.get("content")) for i in items if i.get("role") == "user"]
    results = [_text_of(i.get("output")) for i in items if i.get("type") == "function_call_output"]
    tools = [
        (t["name"], t.get("parameters") or {})
        for t in body.get("tools") or []
        if t.get("type") == "function"
    ]
    return decide(users, tools, results)


class FakeOpenAI:
    """The server; `start()` serves in a background thread, `serve_forever()` in the caller's."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"fake": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def next_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}{next(self._ids):06d}"

    def start(self) -> FakeOpenAI:
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAI
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            self._json(400, _error("The request body is not a JSON object.", "invalid_json"))
            return
        path = self.path.split("?")[0].rstrip("/")
        if path.endswith("/chat/completions"):
            self._answer(body, chat_reply(body), _ChatAPI(self.fake, body))
        elif path.endswith("/responses"):
            self._answer(body, responses_reply(body), _ResponsesAPI(self.fake, body))
        else:
            self._json(404, _error(f"Unknown path {path}.", "unknown_url"))

    def _answer(self, body: dict[str, Any], reply: Reply, api: _ChatAPI | _ResponsesAPI) -> None:
        if reply.error:
            self._json(400, _error(OVERFLOW_MESSAGE, "context_length_exceeded"))
        elif body.get("stream"):
            self._stream(api.events(reply))
        else:
            self._json(200, api.whole(reply))

    def _json(self, status: int, document: dict[str, Any]) -> None:
        data = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, events: Iterator[dict[str, Any]]) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("connection", "close")
        self.end_headers()
        for event in events:
            name = f"event: {event['type']}\n" if "type" in event else ""
            self.wfile.write(f"{name}data: {json.dumps(event)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True


def _error(message: str, code: str) -> dict[str, Any]:
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    }


def _model(body: dict[str, Any]) -> str:
    model = str(body.get("model") or "gpt-4o-mini")
    return model if model.endswith(SNAPSHOT) else f"{model}-{SNAPSHOT}"


def _pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [w if i == 0 else f" {w}" for i, w in enumerate(words)]


class _ChatAPI:
    def __init__(self, fake: FakeOpenAI, body: dict[str, Any]) -> None:
        self.id = fake.next_id("chatcmpl-fake")
        self.call_id = fake.next_id("call_fake")
        self.model = _model(body)
        self.include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

    def _envelope(self, kind: str) -> dict[str, Any]:
        return {"id": self.id, "object": kind, "created": CREATED, "model": self.model,
                "system_fingerprint": "fp_fake"}  # fmt: skip

    def whole(self, reply: Reply) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.text, "refusal": None}
        if reply.tool:
            message["tool_calls"] = [self._tool_call(reply)]
        choice = {"index": 0, "message": message, "logprobs": None,
                  "finish_reason": "tool_calls" if reply.tool else "stop"}  # fmt: skip
        return {**self._envelope("chat.completion"), "choices": [choice],
                "usage": reply.usage.chat()}  # fmt: skip

    def _tool_call(self, reply: Reply) -> dict[str, Any]:
        function = {"name": reply.tool, "arguments": reply.arguments}
        return {"id": self.call_id, "type": "function", "function": function}

    def events(self, reply: Reply) -> Iterator[dict[str, Any]]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return {**self._envelope("chat.completion.chunk"), "choices": [choice]}

        yield chunk({"role": "assistant", "content": "", "refusal": None})
        if reply.tool:
            call = self._tool_call(reply)
            call["function"]["arguments"] = ""
            yield chunk({"tool_calls": [{"index": 0, **call}]})
            half = len(reply.arguments) // 2
            for part in (reply.arguments[:half], reply.arguments[half:]):
                yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": part}}]})
            yield chunk({}, "tool_calls")
        else:
            for piece in _pieces(reply.text or ""):
                yield chunk({"content": piece})
            yield chunk({}, "stop")
        if self.include_usage:
            yield {**self._envelope("chat.completion.chunk"), "choices": [],
                   "usage": reply.usage.chat()}  # fmt: skip


class _ResponsesAPI:
    def __init__(self, fake: FakeOpenAI, body: dict[str, Any]) -> None:
        self.id = fake.next_id("resp_fake")
        self.item_id = fake.next_id("item_fake")
        self.call_id = fake.next_id("call_fake")
        self.body = body
        self.model = _model(body)

    def _response(
        self, status: str, output: list[dict[str, Any]], usage: Usage | None
    ) -> dict[str, Any]:
        body = self.body
        return {
            "id": self.id, "object": "response", "created_at": CREATED, "status": status,
            "model": self.model, "output": output, "usage": usage.responses() if usage else None,
            "instructions": body.get("instructions"), "tools": body.get("tools") or [],
            "tool_choice": body.get("tool_choice") or "auto",
            "parallel_tool_calls": bool(body.get("parallel_tool_calls", True)),
            "temperature": body.get("temperature"), "top_p": body.get("top_p"),
            "max_output_tokens": body.get("max_output_tokens"), "previous_response_id": None,
            "reasoning": {"effort": None, "summary": None}, "error": None,
            "incomplete_details": None, "metadata": {}, "text": {"format": {"type": "text"}},
            "truncation": "disabled", "store": False,
        }  # fmt: skip

    def _item(self, reply: Reply, *, done: bool = True) -> dict[str, Any]:
        status = "completed" if done else "in_progress"
        if reply.tool:
            return {"type": "function_call", "id": self.item_id, "call_id": self.call_id,
                    "name": reply.tool, "arguments": reply.arguments if done else "",
                    "status": status}  # fmt: skip
        content = [_text_part(reply.text or "")] if done else []
        return {"type": "message", "id": self.item_id, "role": "assistant",
                "status": status, "content": content}  # fmt: skip

    def whole(self, reply: Reply) -> dict[str, Any]:
        return self._response("completed", [self._item(reply)], reply.usage)

    def events(self, reply: Reply) -> Iterator[dict[str, Any]]:
        seq = itertools.count()
        item = {"output_index": 0, "item_id": self.item_id}

        def event(kind: str, **fields: Any) -> dict[str, Any]:
            return {"type": f"response.{kind}", "sequence_number": next(seq), **fields}

        yield event("created", response=self._response("in_progress", [], None))
        yield event("in_progress", response=self._response("in_progress", [], None))
        yield event("output_item.added", output_index=0, item=self._item(reply, done=False))
        if reply.tool:
            yield event("function_call_arguments.delta", **item, delta=reply.arguments)
            yield event("function_call_arguments.done", **item, arguments=reply.arguments)
        else:
            text = reply.text or ""
            part = {**item, "content_index": 0}
            yield event("content_part.added", **part, part=_text_part(""))
            for piece in _pieces(text):
                yield event("output_text.delta", **part, delta=piece, logprobs=[])
            yield event("output_text.done", **part, text=text, logprobs=[])
            yield event("content_part.done", **part, part=_text_part(text))
        yield event("output_item.done", output_index=0, item=self._item(reply))
        yield event("completed", response=self.whole(reply))


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    args = parser.parse_args()
    fake = FakeOpenAI(args.host, args.port)
    print(f"fake OpenAI server on {fake.base_url} (Ctrl+C to stop)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        fake.serve_forever()


if __name__ == "__main__":
    main()
