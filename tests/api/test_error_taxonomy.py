"""The error taxonomy is a pure function: one case per category, and the precedence rules."""

from __future__ import annotations

import pytest

from runlens.analysis.error_taxonomy import ErrorCategory, explain_error

C = ErrorCategory


@pytest.mark.parametrize(
    ("error_type", "message", "kind", "expected"),
    [
        ("KeyError", "Unknown tool name: 'frob'. Available tools: search", "", C.TOOL_NOT_FOUND),
        ("ToolNotFoundError", "", "tool_execution", C.TOOL_NOT_FOUND),
        ("openai.BadRequestError", "Error code: 400 - This model's maximum context length is "
         "128000 tokens.", "llm_call", C.CONTEXT_LENGTH),
        ("ModelContextWindowExceededError", "status_code: 400", "", C.CONTEXT_LENGTH),
        ("RateLimitError", "Error code: 429 - Too Many Requests", "llm_call", C.RATE_LIMITED),
        ("AuthenticationError", "Error code: 401 - Incorrect API key provided", "",
         C.AUTHENTICATION),
        ("PermissionDeniedError", "Error code: 403", "", C.PERMISSION_DENIED),
        ("PermissionError", "[Errno 13] Permission denied: '/etc/shadow'", "tool_execution",
         C.PERMISSION_DENIED),
        ("TimeoutError", "", "tool_execution", C.TIMEOUT),
        ("httpx.ReadTimeout", "timed out", "", C.TIMEOUT),
        ("ValidationError", "1 validation error for Args", "tool_execution", C.INVALID_INPUT),
        ("json.JSONDecodeError", "Expecting value", "", C.INVALID_INPUT),
        ("InternalServerError", "Error code: 500", "llm_call", C.MODEL_ERROR),
        ("", "The server is overloaded", "", C.MODEL_ERROR),
        ("RuntimeError", "weather service unavailable for Paris", "llm_call", C.MODEL_ERROR),
        ("RuntimeError", "weather service unavailable for Paris", "tool_execution", C.UNKNOWN),
        ("", "", "", C.UNKNOWN),
    ],
)  # fmt: skip
def test_categories(error_type: str, message: str, kind: str, expected: ErrorCategory) -> None:
    explained = explain_error(error_type, message, kind=kind)
    assert explained.category is expected
    assert explained.message and explained.remediation
    assert explained.error_type == error_type and explained.detail == message


def test_lost_runs_win_over_the_message() -> None:
    explained = explain_error("", "no activity for 1800 s", status_reason="lost")
    assert explained.category is C.LOST
    assert "stopped reporting" in explained.message
    assert "no activity for 1800 s" in explained.message


def test_message_names_the_type_and_is_bounded() -> None:
    explained = explain_error("TimeoutError", "x" * 1000)
    assert explained.message.startswith("The operation timed out (TimeoutError): xxx")
    assert len(explained.message) < 400
    assert explain_error("TimeoutError", "").message == "The operation timed out (TimeoutError)."
    assert explain_error("", "").message == "The operation failed."


def test_every_category_has_words() -> None:
    for category in ErrorCategory:
        status_reason = "lost" if category is C.LOST else ""
        explained = explain_error("", "", status_reason=status_reason)
        assert explained.remediation
