"""`@action`: a plain function recorded as a tool span and, in a replay, served from it.

    @action
    def fetch_forecast(city: str) -> dict[str, object]: ...

    @action(side_effects="never_replay")      # re-executed in a replay (writes, payments)
    def create_ticket(summary: str) -> dict[str, str]: ...

The span is `execute_tool <name>` with the arguments (`gen_ai.tool.call.arguments`, a JSON
object of the bound parameters, `self`/`cls` left out), the result (`gen_ai.tool.call.result`),
the code location and `runlens.replay.policy` (`auto`, `never` or `always`). A served action
returns the recorded result as a JSON value (dicts, lists, strings, numbers), not an instance
of its declared return type. Async functions are supported.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar, cast, overload

from opentelemetry.trace import Span
from pydantic_core import to_json

from runlens.analysis.replay.simulate import REPLAY_POLICY
from runlens.sdk.replay.recording import Channel
from runlens.sdk.replay.session import SideEffects, current
from runlens.sdk.replay.tracing import SpanAttributes, mark_replayed, stored_input, tracer
from runlens.semconv import keys

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

_POLICY_VALUES = {
    SideEffects.NONE: "auto",
    SideEffects.NEVER_REPLAY: "never",
    SideEffects.ALWAYS_REPLAY: "always",
}


def json_text(value: object) -> str:
    return to_json(value, fallback=str).decode()


@dataclass(frozen=True, slots=True)
class _Spec:
    name: str
    side_effects: SideEffects
    signature: inspect.Signature
    code: SpanAttributes

    @property
    def span_name(self) -> str:
        return f"execute_tool {self.name}"

    def arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return {k: v for k, v in bound.arguments.items() if k not in ("self", "cls")}

    def attributes(self, arguments: Mapping[str, Any]) -> SpanAttributes:
        return {
            keys.GEN_AI_OPERATION_NAME: "execute_tool",
            keys.GEN_AI_TOOL_NAME: self.name,
            keys.GEN_AI_TOOL_CALL_ARGUMENTS: json_text(arguments),
            REPLAY_POLICY: _POLICY_VALUES[self.side_effects],
            **self.code,
        }


def _spec(func: Callable[..., Any], name: str | None, side_effects: SideEffects) -> _Spec:
    code = func.__code__
    return _Spec(
        name=name or func.__name__,
        side_effects=side_effects,
        signature=inspect.signature(func),
        code={
            "code.function.name": func.__qualname__,
            "code.file.path": code.co_filename,
            "code.line.number": code.co_firstlineno,
        },
    )


def _replayed(span: Span, value: Any) -> Any:
    """The recorded result, served: the span says so and carries it."""
    mark_replayed(span)
    return _result(span, value)


def _result(span: Span, value: T) -> T:
    span.set_attribute(keys.GEN_AI_TOOL_CALL_RESULT, json_text(value))
    return value


def _wrap(func: Callable[P, R], spec: _Spec) -> Callable[P, R]:
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def run_async(*args: P.args, **kwargs: P.kwargs) -> Any:
            attributes = spec.attributes(spec.arguments(args, kwargs))
            with tracer().start_as_current_span(spec.span_name, attributes=attributes) as span:
                served = _served(spec, attributes)
                if served is not None:
                    return _replayed(span, served[0])
                return _result(span, await func(*args, **kwargs))

        return cast(Callable[P, R], run_async)

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        attributes = spec.attributes(spec.arguments(args, kwargs))
        with tracer().start_as_current_span(spec.span_name, attributes=attributes) as span:
            served = _served(spec, attributes)
            if served is not None:
                return cast(R, _replayed(span, served[0]))
            return _result(span, func(*args, **kwargs))

    return run


def _served(spec: _Spec, attributes: SpanAttributes) -> tuple[Any] | None:
    """`(recorded output,)` when the replay serves this call, None to run it."""
    session = current()
    if session is None:
        return None
    canonical_input = stored_input(spec.span_name, attributes)
    entry = session.decide(Channel.ACTION, spec.span_name, canonical_input, spec.side_effects)
    return None if entry is None else (entry.output,)


@overload
def action(func: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def action(
    *, name: str | None = None, side_effects: SideEffects | str = SideEffects.NONE
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def action(
    func: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    side_effects: SideEffects | str = SideEffects.NONE,
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Mark a function as an action (see the module docstring)."""
    effects = SideEffects(side_effects)

    def decorate(f: Callable[P, R]) -> Callable[P, R]:
        return _wrap(f, _spec(f, name, effects))

    return decorate if func is None else decorate(func)
