"""PII and secret redaction: built-in rules, user patterns and attribute-key lists, applied to a
span or log record before it is stored (docs/redaction.md says what is and is not covered).

Attribute-key lists run on the decoded record before mapping, so content a mapper moves from a
listed key into `input` / `output` (or an error message) is redacted too. Patterns run on the
mapped record's text fields. Every match becomes `[REDACTED:<rule>]`; the number of redactions
and the rules that fired are stored on the record under `runlens.redaction.*`.

JSON text stays valid JSON: built-in matches never start right after a backslash nor contain a
quote or a backslash, and a card number written as a bare JSON number is replaced by a quoted
marker.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import combinations
from typing import TypeVar

from ahocorasick_rs import BytesAhoCorasick

from runlens.semconv import keys
from runlens.semconv.coerce import as_text, dumps
from runlens.semconv.metrics import MetricPoint
from runlens.semconv.records import (
    Attributes,
    LogRecord,
    RawEvent,
    RawLog,
    RawSpan,
    SpanRecord,
    ToolCallRequest,
)

EMAIL, CARD, API_KEY, BEARER = "email", "card", "api_key", "bearer"
ATTRIBUTE = "attribute"
"""The rule name of values replaced because their attribute key is listed."""
BUILTIN_RULES = (EMAIL, CARD, API_KEY, BEARER)
MARKER = "[REDACTED:{rule}]"
RULE_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
"""What a user pattern may be called (it appears in the marker and in `redactedKinds`)."""

# A match may start at a word start or right after a JSON escape such as `\n`, never right after
# a lone backslash (that would split an escape and break the JSON text).
_START = r"(?:(?<![\w\\{extra}])|(?<=\\[nrtbf]))"
# `name: value` pairs: the name (any case, also inside a longer name such as DB_PASSWORD), `:`
# or `=` with optional quotes (escaped inside JSON text), then the value, which alone is replaced.
_PAIR = r"(?:\\?[\"'])?\s{0,3}[:=]\s{0,3}(?:\\?[\"'])?"
_SECRET_CHARS = r"[A-Za-z0-9._~+/=-]"
_WITH_DIGIT = r"(?=[A-Za-z0-9._~+/=-]{0,200}[0-9])"
_BUILTIN_SOURCES = {
    EMAIL: _START.format(extra=".%+-")
    + r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b",
    # 13 to 19 digits, single spaces or dashes between them; Luhn and issuer checked on match.
    CARD: _START.format(extra="") + r"[0-9](?:[ -]?[0-9]){12,18}(?![0-9])",
    API_KEY: _START.format(extra="-")
    + r"(?:sk-(?=[A-Za-z0-9_-]{0,200}\d)[A-Za-z0-9_-]{20,}"  # OpenAI, Anthropic sk-ant-…
    r"|(?:sk|rk)_live_[A-Za-z0-9]{16,}"  # Stripe live keys
    r"|(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])"  # AWS access key ids
    r"|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}"  # GitHub
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"  # Slack
    r"|AIza[0-9A-Za-z_-]{35})"  # Google
    # generic pairs: api_key=…, "x-api-key": "…", secret_key: …, DB_PASSWORD=…
    r"|(?i:api[_-]?key|secret[_-]?key|client[_-]?secret|(?:access|auth|refresh)[_-]token"
    rf"|password|passwd){_PAIR}(?P<api_key_value>[A-Za-z0-9._~+/=!@#$%^&*-]{{8,}})",
    # A value without a scheme, and a token after a bare "Bearer", must hold a digit: that
    # tells "Bearer eyJ0eX…" from "the bearer instruments".
    BEARER: rf"(?i:authorization){_PAIR}(?:(?i:basic|bearer|token)\s+"
    rf"(?P<bearer_value>{_SECRET_CHARS}{{8,}})|{_WITH_DIGIT}(?P<bearer_raw>{_SECRET_CHARS}{{8,}}))"
    + "|"
    + _START.format(extra="")
    + rf"(?:(?i:bearer)\s+{_WITH_DIGIT}(?P<bearer_token>{_SECRET_CHARS}{{8,}})"
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})",  # bare JWTs
}
# Groups holding the secret of a `name: secret` pair: what comes before them is kept.
_VALUE_GROUPS = {
    API_KEY: ("api_key_value",),
    BEARER: ("bearer_value", "bearer_raw", "bearer_token"),
}
# Card issuer prefixes: Visa, Mastercard, Amex, Diners, Discover, JCB, UnionPay.
_CARD_ISSUER = re.compile(
    r"4|5[1-5]|2(?:22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|30[0-5]|3[689]|6(?:011|4[4-9]|5|2)"
)
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
# Cheap tests on a whole record first: a rule none of whose needles occurs in the record's text
# (first tuple, exact case) or lowercased text (second) does not run. Each set of needles is found
# in one pass of a multi-word (Aho-Corasick) matcher.
_NEEDLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    EMAIL: (("@",), ()),
    API_KEY: (
        ("AKIA", "ASIA", "ABIA", "ACCA", "AIza"),
        ("sk-", "_live_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox",
         "api_key", "api-key", "apikey", "secret", "access_token", "access-token", "auth_token",
         "auth-token", "refresh_token", "refresh-token", "passw"),
    ),
    BEARER: (("eyJ",), ("bearer", "authorization")),
}  # fmt: skip


class _Needles:
    """The needles of one case (0: exact, 1: lowercase) and the rules each one triggers."""

    def __init__(self, case: int) -> None:
        words = tuple(dict.fromkeys(w for needles in _NEEDLES.values() for w in needles[case]))
        # On UTF-8 bytes: the needles are ASCII, whose bytes occur in UTF-8 only as those
        # characters, and scanning bytes is ~4x faster than a str (no character offsets).
        self.matcher = BytesAhoCorasick([word.encode() for word in words])
        self.rules = tuple(
            frozenset(rule for rule, needles in _NEEDLES.items() if word in needles[case])
            for word in words
        )

    def found(self, text: str, into: set[str]) -> None:
        data = text.encode("utf-8", "surrogatepass")
        for index, _, _ in self.matcher.find_matches_as_indexes(data, overlapping=True):
            into |= self.rules[index]


_EXACT, _LOWERCASE = _Needles(0), _Needles(1)
# Cards: digits become "0", spaces and dashes " ", anything else "x"; then runs are looked for.
_DIGIT_CLASSES = bytes(48 if 48 <= b <= 57 else 32 if b in (32, 45) else 120 for b in range(256))
_DIGIT_RUN = re.compile(rb"0(?: ?0){12,18}")
_SEPARATOR = "\x00"  # joins a record's texts for the triggers; no rule matches it

Tally = dict[str, int]
R = TypeVar("R", SpanRecord, LogRecord)


class RedactionConfigError(ValueError):
    """A redaction setting cannot be used; the message says which and why."""


@dataclass(frozen=True, slots=True)
class RedactionRules:
    """What to redact: built-in rules by name, user patterns by name, attribute keys (a key
    ending with `.` covers every key under it)."""

    builtins: tuple[str, ...] = BUILTIN_RULES
    patterns: Mapping[str, str] = field(default_factory=dict)
    attribute_keys: tuple[str, ...] = ()


def compile_pattern(name: str, source: str) -> re.Pattern[str]:
    """A user pattern, compiled; `RedactionConfigError` with the reason when it cannot be used."""
    if not RULE_NAME.fullmatch(name) or name in (*BUILTIN_RULES, ATTRIBUTE):
        raise RedactionConfigError(
            f"redaction pattern name {name!r}: use lowercase letters, digits and _ "
            f"(not a built-in rule name)"
        )
    try:
        compiled = re.compile(source)
    except re.error as exc:
        raise RedactionConfigError(
            f"redaction pattern {name!r} is not a valid regex: {exc}"
        ) from None
    if compiled.match(""):
        raise RedactionConfigError(f"redaction pattern {name!r} matches the empty string")
    return compiled


def check_builtins(names: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(names))
    unknown = [n for n in chosen if n not in BUILTIN_RULES]
    if unknown:
        raise RedactionConfigError(
            f"unknown built-in redaction rule {unknown[0]!r}: use {', '.join(BUILTIN_RULES)}"
        )
    return chosen


class Redactor:
    """Applies `RedactionRules` to records; shared by threads (it keeps no per-record state)."""

    def __init__(self, rules: RedactionRules) -> None:
        self._builtins = check_builtins(rules.builtins)
        # One combined pattern for every subset of the built-ins a record can trigger.
        self._combined = {
            frozenset(subset): re.compile(
                "|".join(f"(?P<{n}>{_BUILTIN_SOURCES[n]})" for n in subset)
            )
            for size in range(1, len(self._builtins) + 1)
            for subset in combinations(self._builtins, size)
        }
        self._patterns = [(n, compile_pattern(n, s)) for n, s in rules.patterns.items()]
        self._exact_keys = frozenset(k for k in rules.attribute_keys if not k.endswith("."))
        self._key_prefixes = tuple(k for k in rules.attribute_keys if k.endswith("."))

    def span(self, raw: RawSpan, mapper: Callable[[RawSpan], SpanRecord]) -> SpanRecord:
        """`mapper(raw)` with every rule applied."""
        tally: Tally = {}
        if self._exact_keys or self._key_prefixes:
            raw = replace(
                raw,
                attributes=self._keys(raw.attributes, tally),
                resource=self._keys(raw.resource, tally),
                events=tuple(
                    RawEvent(e.name, e.time_unix_nano, self._keys(e.attributes, tally))
                    for e in raw.events
                ),
            )
        record = mapper(raw)
        texts = [record.name, record.input, record.output, record.error_message, record.events]
        texts += [c.arguments for c in record.tool_calls]
        texts += record.attributes.values()
        texts += record.resource.values()
        plan = self._plan(texts)
        if plan is None:
            return _noted(record, record.attributes, tally)
        text = partial(_apply, plan, tally)
        return _noted(
            replace(
                record,
                name=text(record.name, False),
                input=text(record.input, True),
                output=text(record.output, True),
                tool_calls=tuple(
                    ToolCallRequest(c.id, c.name, text(c.arguments, True))
                    for c in record.tool_calls
                ),
                error_message=text(record.error_message, False),
                events=text(record.events, True),
                resource=_values(record.resource, text),
            ),
            _values(record.attributes, text),
            tally,
        )

    def log(self, raw: RawLog, mapper: Callable[[RawLog], LogRecord]) -> LogRecord:
        """`mapper(raw)` with every rule applied."""
        tally: Tally = {}
        if self._exact_keys or self._key_prefixes:
            raw = replace(raw, attributes=self._keys(raw.attributes, tally))
        record = mapper(raw)
        plan = self._plan([record.body, *record.attributes.values()])
        if plan is None:
            return _noted(record, record.attributes, tally)
        text = partial(_apply, plan, tally)
        record = replace(record, body=text(record.body, True))
        return _noted(record, _values(record.attributes, text), tally)

    def metric(self, point: MetricPoint) -> MetricPoint:
        """The point with every rule applied to its attribute values, its resource's and its
        exemplars' (no redaction count is added: it would make a new series of the point)."""
        tally: Tally = {}
        maps = [point.attributes, point.resource, *(e.attributes for e in point.exemplars)]
        if self._exact_keys or self._key_prefixes:
            maps = [{k: as_text(v) for k, v in self._keys(dict(m), tally).items()} for m in maps]
        plan = self._plan([value for m in maps for value in m.values()])
        if plan is not None:
            maps = [_values(m, partial(_apply, plan, tally)) for m in maps]
        if not tally:
            return point
        attributes, resource, *exemplars = maps
        return replace(
            point,
            attributes=attributes,
            resource=resource,
            exemplars=tuple(
                replace(e, attributes=m) for e, m in zip(point.exemplars, exemplars, strict=True)
            ),
        )

    def _plan(self, texts: list[str]) -> _Plan | None:
        """The rules whose cheap trigger fires somewhere in `texts`; None when none does."""
        if not self._builtins and not self._patterns:
            return None
        joined = _SEPARATOR.join(texts)
        present = _triggered(self._builtins, joined)
        patterns = [(n, p) for n, p in self._patterns if p.search(joined)]
        if not present and not patterns:
            return None
        return _Plan(present, self._combined, patterns)

    def _keys(self, attributes: Attributes, tally: Tally) -> Attributes:
        listed = [
            k
            for k in attributes
            if k in self._exact_keys or (self._key_prefixes and k.startswith(self._key_prefixes))
        ]
        if not listed:
            return attributes
        out = dict(attributes)
        for k in listed:
            out[k] = MARKER.format(rule=ATTRIBUTE)
        tally[ATTRIBUTE] = tally.get(ATTRIBUTE, 0) + len(listed)
        return out


@dataclass(frozen=True, slots=True)
class _Plan:
    """What runs on the texts of one record: the built-ins triggered somewhere in it (each
    text is tested again: the patterns run only where their trigger is), the user patterns
    found in it."""

    builtins: frozenset[str]
    combined: Mapping[frozenset[str], re.Pattern[str]]
    patterns: list[tuple[str, re.Pattern[str]]]


def _triggered(rules: Iterable[str], text: str) -> frozenset[str]:
    """The built-in rules whose cheap test fires in `text`."""
    found: set[str] = set()
    _EXACT.found(text, found)
    _LOWERCASE.found(text.lower(), found)
    return frozenset(rule for rule in rules if (_has_card(text) if rule == CARD else rule in found))


def _apply(plan: _Plan, tally: Tally, text: str, json_text: bool) -> str:
    """`text` with every match replaced (the same object when nothing changed)."""
    if not text:
        return text
    out = text
    builtin = plan.combined.get(_triggered(plan.builtins, text)) if plan.builtins else None
    if builtin is not None:
        out = builtin.sub(lambda m: _builtin_match(m, tally, json_text), out)
    for name, pattern in plan.patterns:
        out, count = pattern.subn(MARKER.format(rule=name), out)
        if count:
            tally[name] = tally.get(name, 0) + count
    return text if out == text else out


def _values(attributes: dict[str, str], text: Callable[[str, bool], str]) -> dict[str, str]:
    """Attribute values redacted; lists and maps are JSON text and stay valid JSON."""
    out: dict[str, str] | None = None
    for key, value in attributes.items():
        redacted = text(value, value[:1] in ("[", "{"))
        if redacted is not value:
            if out is None:
                out = dict(attributes)
            out[key] = redacted
    return attributes if out is None else out


def _builtin_match(match: re.Match[str], tally: Tally, json_text: bool) -> str:
    rule = match.lastgroup or ""
    if rule == CARD and not _is_card(match.group()):
        return match.group()
    tally[rule] = tally.get(rule, 0) + 1
    marker = MARKER.format(rule=rule)
    for group in _VALUE_GROUPS.get(rule, ()):
        start = match.start(group)
        if start >= 0:  # keep the `name: ` part of a pair
            return match.string[match.start() : start] + marker
    if rule == CARD and json_text and _bare_json_number(match):
        return f'"{marker}"'
    return marker


def _is_card(text: str) -> bool:
    digits = text.replace(" ", "").replace("-", "")
    if not 13 <= len(digits) <= 19 or not _CARD_ISSUER.match(digits):
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _has_card(text: str) -> bool:
    """Whether `text` holds a digit run that passes the card checks (positions are kept: every
    character becomes one byte)."""
    classes = text.encode("ascii", "replace").translate(_DIGIT_CLASSES)
    return any(_is_card(text[m.start() : m.end()]) for m in _DIGIT_RUN.finditer(classes))


def _bare_json_number(match: re.Match[str]) -> bool:
    """Whether the match is a JSON number token rather than text inside a JSON string."""
    if not match.group().isdigit():
        return False
    start = match.start()
    for string in _JSON_STRING.finditer(match.string):
        if string.start() > start:
            break
        if start < string.end():
            return False
    return True


def _noted(record: R, attributes: dict[str, str], tally: Tally) -> R:
    """`record` with its (redacted) attributes and the redaction notes, when there are any."""
    stale = keys.RUNLENS_REDACTION_COUNT in attributes or keys.RUNLENS_REDACTION_RULES in attributes
    if not tally and not stale:
        return record if attributes is record.attributes else replace(record, attributes=attributes)
    noted = {
        k: v
        for k, v in attributes.items()
        if k not in (keys.RUNLENS_REDACTION_COUNT, keys.RUNLENS_REDACTION_RULES)
    }
    if tally:  # a sender cannot claim redactions runlens did not make
        noted[keys.RUNLENS_REDACTION_COUNT] = str(sum(tally.values()))
        noted[keys.RUNLENS_REDACTION_RULES] = dumps(sorted(tally))
    return replace(record, attributes=noted)
