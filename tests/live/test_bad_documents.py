"""Over WebSocket too, a document that does not parse or validate gets a clear answer, in both
protocols, and nothing is logged: validation errors are `error` messages with code
BAD_REQUEST; a syntax error is an `error` message on `graphql-ws`, and on
`graphql-transport-ws` closes the socket with 4400 (Bad Request) and the parser's message, as
that protocol says."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosedError

from runlens.serve import Endpoints
from tests.live.graphql_ws import LegacyWs, TransportWs

INVALID = [
    ("subscription { runUpdates { } }", "selection set of `runUpdates` is empty"),
    ("subscription { runUpdates { colour } }", "Cannot query field 'colour'"),
    ("subscription { runEvents { type } }", "runEvents(runId:)' of type 'ID!' is required"),
]
SYNTAX = ("subscription { runUpdates { type ", "Syntax Error: Expected Name, found <EOF>")


def only_error(reply: dict[str, Any]) -> dict[str, Any]:
    payload = reply["payload"]
    [error] = payload if isinstance(payload, list) else [payload]
    assert isinstance(error, dict)
    return error


def run_quietly(caplog: pytest.LogCaptureFixture, scenario: Any) -> None:
    with caplog.at_level(logging.WARNING):
        asyncio.run(scenario)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize("protocol", [TransportWs, LegacyWs])
def test_invalid_documents_are_bad_requests(
    server: Endpoints, caplog: pytest.LogCaptureFixture, protocol: type[TransportWs]
) -> None:
    async def scenario() -> None:
        client = await protocol.open(server.api_url)
        try:
            for n, (query, message) in enumerate(INVALID):
                await client.subscribe(str(n), query)
                reply = await client.receive()
                assert (reply["id"], reply["type"]) == (str(n), "error"), reply
                error = only_error(reply)
                assert message in error["message"]
                assert error["extensions"]["code"] == "BAD_REQUEST"
        finally:
            await client.close()

    run_quietly(caplog, scenario())


def test_a_syntax_error_is_an_error_message_on_graphql_ws(
    server: Endpoints, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        client = await LegacyWs.open(server.api_url)
        try:
            await client.subscribe("1", SYNTAX[0])
            reply = await client.receive()
            assert (reply["id"], reply["type"]) == ("1", "error"), reply
            error = only_error(reply)
            assert SYNTAX[1] in error["message"]
            assert error["extensions"]["code"] == "BAD_REQUEST"
        finally:
            await client.close()

    run_quietly(caplog, scenario())


def test_a_syntax_error_closes_graphql_transport_ws_as_a_bad_request(
    server: Endpoints, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        client = await TransportWs.open(server.api_url)
        try:
            await client.subscribe("1", SYNTAX[0])
            with pytest.raises(ConnectionClosedError) as closed:
                await client.receive()
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4400
            assert SYNTAX[1] in closed.value.rcvd.reason
        finally:
            await client.close()

    run_quietly(caplog, scenario())
