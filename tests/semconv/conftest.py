"""Loads the real-client OTLP/JSON captures kept in tests/fixtures/real-clients."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from runlens.collector.receiver.decode import (
    DecodeLimits,
    decode_logs,
    decode_traces,
    parse_logs,
    parse_traces,
)
from runlens.semconv.pricing import PriceTable
from runlens.semconv.records import RawLog, RawSpan

REAL_CLIENTS = Path(__file__).resolve().parents[1] / "fixtures" / "real-clients"


def load_spans(relative: str) -> list[RawSpan]:
    body = (REAL_CLIENTS / relative).read_bytes()
    decoded = decode_traces(parse_traces(body, json_encoded=True), DecodeLimits())
    assert decoded.rejected == 0, decoded.error_message
    return decoded.items


def load_logs(relative: str) -> list[RawLog]:
    body = (REAL_CLIENTS / relative).read_bytes()
    decoded = decode_logs(parse_logs(body, json_encoded=True), DecodeLimits())
    assert decoded.rejected == 0, decoded.error_message
    return decoded.items


@pytest.fixture(scope="session")
def prices() -> PriceTable:
    return PriceTable.load(None)


@pytest.fixture(scope="session")
def spans_of() -> Callable[[str], list[RawSpan]]:
    return load_spans


@pytest.fixture(scope="session")
def logs_of() -> Callable[[str], list[RawLog]]:
    return load_logs
