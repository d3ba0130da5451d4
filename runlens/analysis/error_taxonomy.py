"""What went wrong, in words a developer can act on: a closed taxonomy of errors derived from
the stored error type and message (docs/api.md, "Error taxonomy").

Pure: the same inputs always give the same explanation. The first matching rule wins, in the
order of `_RULES`; a failed LLM call that matches no rule is a `model_error`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class ErrorCategory(StrEnum):
    TOOL_NOT_FOUND = "tool_not_found"
    MODEL_ERROR = "model_error"
    RATE_LIMITED = "rate_limited"
    TIMEOUT = "timeout"
    PERMISSION_DENIED = "permission_denied"
    AUTHENTICATION = "authentication"
    CONTEXT_LENGTH = "context_length"
    INVALID_INPUT = "invalid_input"
    LOST = "lost"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ErrorExplanation:
    category: ErrorCategory
    message: str  # what happened, for people
    remediation: str  # what to try
    error_type: str  # as recorded (exception class, error.type)
    detail: str  # the recorded message


_HEADLINES: dict[ErrorCategory, tuple[str, str]] = {
    ErrorCategory.TOOL_NOT_FOUND: (
        "The model called a tool that does not exist",
        "Check the tool names registered with the agent against the names the model uses; "
        "describe the available tools in the system prompt.",
    ),
    ErrorCategory.MODEL_ERROR: (
        "The model provider returned an error",
        "Retry with backoff; if it persists, check the provider's status page and the model name.",
    ),
    ErrorCategory.RATE_LIMITED: (
        "The provider rate-limited the request",
        "Retry with exponential backoff, lower the concurrency, or raise the quota.",
    ),
    ErrorCategory.TIMEOUT: (
        "The operation timed out",
        "Raise the timeout, make the operation faster, or retry; check the remote service.",
    ),
    ErrorCategory.PERMISSION_DENIED: (
        "The operation was not permitted",
        "Grant the agent's credentials the needed permission, or keep the agent from "
        "attempting the action.",
    ),
    ErrorCategory.AUTHENTICATION: (
        "Authentication failed",
        "Check the API key or credentials the agent uses (set, valid, not expired).",
    ),
    ErrorCategory.CONTEXT_LENGTH: (
        "The model's context window was exceeded",
        "Trim or summarize the history before the call, shorten tool outputs, or use a "
        "model with a larger context window.",
    ),
    ErrorCategory.INVALID_INPUT: (
        "The request or the tool arguments were invalid",
        "Validate the arguments before the call; compare them with the tool's or the API's schema.",
    ),
    ErrorCategory.LOST: (
        "The run stopped reporting before it ended",
        "The agent process probably crashed or was killed; check its logs, and make sure "
        "it shuts the tracer provider down so the final spans are exported.",
    ),
    ErrorCategory.UNKNOWN: (
        "The operation failed",
        "Read the error message and the failing action's input; add error handling for this case.",
    ),
}

_RULES: tuple[tuple[ErrorCategory, re.Pattern[str]], ...] = tuple(
    (category, re.compile(pattern, re.IGNORECASE))
    for category, pattern in (
        (
            ErrorCategory.TOOL_NOT_FOUND,
            r"unknown tool|tool\W.{0,40}not found|no such tool|toolnotfound|unknown function",
        ),
        (
            ErrorCategory.CONTEXT_LENGTH,
            r"context.?(length|window)|maximum context|prompt is too long|too many tokens",
        ),
        (ErrorCategory.RATE_LIMITED, r"rate.?limit|too many requests|\b429\b|quota"),
        (
            ErrorCategory.AUTHENTICATION,
            r"authenticat|unauthori[sz]ed|\b401\b|api.?key|credential",
        ),
        (
            ErrorCategory.PERMISSION_DENIED,
            r"permission|forbidden|\b403\b|access denied|not allowed",
        ),
        (ErrorCategory.TIMEOUT, r"time.?out|timed out|deadline exceeded"),
        (
            ErrorCategory.INVALID_INPUT,
            r"validation|invalid|bad.?request|\b400\b|\b422\b|unprocessable|valueerror|"
            r"typeerror|jsondecode",
        ),
        (
            ErrorCategory.MODEL_ERROR,
            r"apierror|api error|internal.?server|\b50[0234]\b|overloaded|apiconnection|"
            r"modelhttperror|unexpectedmodelbehavior",
        ),
    )
)

_DETAIL_LIMIT = 300


def explain_error(
    error_type: str,
    message: str,
    *,
    kind: str = "",
    status_reason: str = "",
) -> ErrorExplanation:
    """Classify a recorded error. `kind` is the failing span's kind when known (a failed
    `llm_call` defaults to `model_error`); `status_reason` `lost` marks a run closed by the
    inactivity timeout."""
    category = _category(error_type, message, kind, status_reason)
    headline, remediation = _HEADLINES[category]
    detail = " ".join(message.split())
    if len(detail) > _DETAIL_LIMIT:
        detail = detail[: _DETAIL_LIMIT - 1] + "…"
    described = f"{headline}: {detail}" if detail else f"{headline}."
    if error_type and detail:
        described = f"{headline} ({error_type}): {detail}"
    elif error_type:
        described = f"{headline} ({error_type})."
    return ErrorExplanation(category, described, remediation, error_type, message)


def _category(error_type: str, message: str, kind: str, status_reason: str) -> ErrorCategory:
    if status_reason == ErrorCategory.LOST.value:
        return ErrorCategory.LOST
    text = f"{error_type} {message}"
    for category, pattern in _RULES:
        if pattern.search(text):
            return category
    if kind == "llm_call":
        return ErrorCategory.MODEL_ERROR
    return ErrorCategory.UNKNOWN
