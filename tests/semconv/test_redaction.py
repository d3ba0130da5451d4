"""Redaction rules on mapped records: what each built-in catches and leaves, JSON kept valid,
key lists, user patterns and the notes on the record."""

from __future__ import annotations

import json

import pytest

from runlens.semconv import keys
from runlens.semconv.events import map_log
from runlens.semconv.mapping import map_span
from runlens.semconv.pricing import PriceTable
from runlens.semconv.records import AttrValue, RawEvent, RawLog, RawSpan, SpanRecord
from runlens.semconv.redaction import (
    RedactionConfigError,
    RedactionRules,
    Redactor,
    compile_pattern,
)
from tests.semconv.conftest import REAL_CLIENTS, load_spans

PRICES = PriceTable.load(None)
DEFAULT = Redactor(RedactionRules())


def raw(attributes: dict[str, AttrValue], **fields: object) -> RawSpan:
    values: dict[str, object] = {
        "trace_id": "ab" * 16, "span_id": "cd" * 8, "parent_span_id": "", "name": "tool",
        "kind": 1, "start_time_unix_nano": 1, "end_time_unix_nano": 2, "status_code": 0,
        "status_message": "", "attributes": attributes,
    }  # fmt: skip
    values.update(fields)
    return RawSpan(**values)  # type: ignore[arg-type]


def redact(span: RawSpan, redactor: Redactor = DEFAULT) -> SpanRecord:
    return redactor.span(span, lambda s: map_span(s, project_id="p", prices=PRICES))


def tool_output(text: str, redactor: Redactor = DEFAULT) -> SpanRecord:
    return redact(
        raw({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.result": text}), redactor
    )


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("write to jane.doe+billing@example.co.uk today", "email"),
        ("card 4111 1111 1111 1111 exp 12/29", "card"),
        ("amex 3782-822463-10005", "card"),
        ("OPENAI_API_KEY=sk-proj-4f9XkQ2mZt7LwB8vR1nY3cH6", "api_key"),
        ("key sk-ant-api03-Zx81kq0vPq6T2nLw9RcY4uB7", "api_key"),
        ("aws AKIAIOSFODNN7EXAMPLE", "api_key"),
        ("token ghp_" + "a1B2c3D4e5" * 4, "api_key"),
        ("slack xoxb-123456789012-abcdefABCDEF", "api_key"),
        ("maps AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "api_key"),
        ("stripe sk_live_51H8abcdEFGHijklMNOP", "api_key"),
        ('config {"api_key": "q8w7e6r5t4y3"}', "api_key"),
        ("password: hunter2hunter2", "api_key"),
        ("export STRIPE_API_KEY=q8w7e6r5t4y3", "api_key"),
        ("DB_PASSWORD='s3cr3t-pw'", "api_key"),
        ('{"headers": {"X-Api-Key": "zq9-81kd-PO2x"}}', "api_key"),
        ("Authorization: Bearer abc.def-ghi_123", "bearer"),
        ("curl -H 'authorization: Basic dXNlcjpwYXNzd29yZA=='", "bearer"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N", "bearer"),
        # after multi-byte text (the triggers scan UTF-8 bytes)
        ("Schlüssel für 日本: sk-proj-4f9XkQ2mZt7LwB8vR1nY3cH6 ✓", "api_key"),
        ("Überweisung — Authorization: Bearer abc.def-ghi_123", "bearer"),
        ("Dès réception, écrire à jane.doe@example.com", "email"),
    ],
)
def test_builtin_rules(text: str, rule: str) -> None:
    record = tool_output(text)
    assert f"[REDACTED:{rule}]" in record.output
    assert json.loads(record.output)  # still JSON
    assert record.attributes[keys.RUNLENS_REDACTION_COUNT] == "1"
    assert json.loads(record.attributes[keys.RUNLENS_REDACTION_RULES]) == [rule]


@pytest.mark.parametrize(
    "text",
    [
        "order 1234567890123456 shipped",  # fails the Luhn check
        "trace 1795383109544213106 at 2026-11-23",  # no card issuer starts with 1
        "id4111111111111111",  # glued to a word: an identifier, not a card
        "the task-force-assessment-framework-report is due",  # sk- inside a word
        "we spent 1200 tokens; the api key rotation is planned",
        "email me at the usual address",
        "the bearer instruments; authorization: required for everyone",
    ],
)
def test_lookalikes_are_kept(text: str) -> None:
    record = tool_output(text)
    assert json.loads(record.output) == text
    assert keys.RUNLENS_REDACTION_COUNT not in record.attributes


def test_json_stays_valid_around_escapes_and_bare_numbers() -> None:
    result = json.dumps(
        {
            "note": "line\nbob@example.com\tsk-proj-4f9XkQ2mZt7LwB8vR1nY3cH6",
            "card": 4111111111111111,
        }
    )
    record = tool_output(result)
    assert json.loads(record.output) == {
        "note": "line\n[REDACTED:email]\t[REDACTED:api_key]",
        "card": "[REDACTED:card]",
    }
    assert record.attributes[keys.RUNLENS_REDACTION_COUNT] == "3"


def test_every_stored_text_field_is_covered() -> None:
    secret = "ops@example.com"
    asked = [{"role": "user", "parts": [{"type": "text", "content": f"mail {secret}"}]}]
    call = {"type": "tool_call", "id": "c1", "name": "send", "arguments": {"to": secret}}
    span = raw(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.input.messages": json.dumps(asked),
            "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": [call]}]),
            "user.note": f"from {secret}",
            "retries": [1, 2],
            "card.last": "4111111111111111",
            "cards": [4111111111111111],
        },
        name=f"chat for {secret}",
        status_code=2,
        status_message=f"ValueError: bounce from {secret}",
        events=(RawEvent("log", 5, {"message": f"sent to {secret}"}),),
        resource={"service.name": "mailer", "owner": secret},
    )
    record = redact(span)
    stored = [record.name, record.input, record.output, record.error_message, record.events]
    stored += [call.arguments for call in record.tool_calls]
    stored += [record.attributes["user.note"], record.resource["owner"]]
    assert all(secret not in text and "[REDACTED:email]" in text for text in stored)
    assert record.attributes[keys.RUNLENS_REDACTION_COUNT] == str(len(stored) + 2)
    assert record.attributes["retries"] == "[1,2]"
    assert record.attributes["card.last"] == "[REDACTED:card]"
    assert json.loads(record.attributes["cards"]) == ["[REDACTED:card]"]


def test_attribute_keys_replace_whole_values_before_mapping() -> None:
    redactor = Redactor(
        RedactionRules(builtins=(), attribute_keys=("gen_ai.tool.call.arguments", "http.header."))
    )
    span = raw(
        {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.call.arguments": json.dumps({"ssn": "123-45-6789"}),
            "http.header.cookie": "session=abc",
            "http.header.x-trace": 7,
            "http.method": "GET",
        },
        events=(RawEvent("retry", 3, {"http.header.cookie": "session=abc"}),),
    )
    record = redact(span, redactor)
    assert record.input == json.dumps("[REDACTED:attribute]")  # the content moved to input
    assert record.attributes["http.header.x-trace"] == "[REDACTED:attribute]"
    assert record.attributes["http.method"] == "GET"
    assert "session=abc" not in record.events
    assert record.attributes[keys.RUNLENS_REDACTION_COUNT] == "4"
    assert json.loads(record.attributes[keys.RUNLENS_REDACTION_RULES]) == ["attribute"]


def test_user_patterns_and_rule_choice() -> None:
    redactor = Redactor(
        RedactionRules(builtins=("card",), patterns={"employee_id": r"EMP-[0-9]{6}"})
    )
    record = tool_output("EMP-004211 mailed bob@example.com about 4111111111111111", redactor)
    assert json.loads(record.output) == "[REDACTED:employee_id] mailed bob@example.com about " + (
        "[REDACTED:card]"
    )
    assert json.loads(record.attributes[keys.RUNLENS_REDACTION_RULES]) == ["card", "employee_id"]


def test_a_sender_cannot_claim_redactions() -> None:
    record = redact(
        raw({keys.RUNLENS_REDACTION_COUNT: "99", keys.RUNLENS_REDACTION_RULES: '["email"]'})
    )
    assert keys.RUNLENS_REDACTION_COUNT not in record.attributes
    assert keys.RUNLENS_REDACTION_RULES not in record.attributes


def test_log_records() -> None:
    log = RawLog(
        trace_id="ab" * 16, span_id="cd" * 8, time_unix_nano=1, severity_number=9,
        severity_text="INFO", event_name="gen_ai.user.message",
        body={"content": "my card is 5555 5555 5555 4444"}, attributes={"user": "a@b.io"},
    )  # fmt: skip
    record = DEFAULT.log(log, lambda item: map_log(item, project_id="p"))
    assert json.loads(record.body) == {"content": "my card is [REDACTED:card]"}
    assert record.attributes["user"] == "[REDACTED:email]"
    assert record.attributes[keys.RUNLENS_REDACTION_COUNT] == "2"


def test_real_client_captures_are_left_as_they_are() -> None:
    captures = [
        path.relative_to(REAL_CLIENTS).as_posix()
        for path in sorted(REAL_CLIENTS.glob("*/*.json"))
        if not path.name.endswith((".logs.json", ".metrics.json"))
    ]
    assert len(captures) > 10
    for relative in captures:
        for span in load_spans(relative):
            mapped = map_span(span, project_id="p", prices=PRICES)
            assert redact(span) == mapped


@pytest.mark.parametrize(
    ("name", "source", "message"),
    [
        ("ok", "(unclosed", "not a valid regex"),
        ("Bad-Name", "x", "use lowercase letters"),
        ("email", "x", "not a built-in rule name"),
        ("empty", "x*", "matches the empty string"),
    ],
)
def test_bad_patterns_are_refused(name: str, source: str, message: str) -> None:
    with pytest.raises(RedactionConfigError, match=message):
        compile_pattern(name, source)
