"""GraphQL over WebSocket spoken by hand with the `websockets` library: the
`graphql-transport-ws` protocol and the legacy `graphql-ws` one. Every wait is bounded."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

WAIT_S = 30.0


class TransportWs:
    """`graphql-transport-ws`: connection_init/ack, subscribe, next, error, complete."""

    protocol = "graphql-transport-ws"

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    @classmethod
    async def open(
        cls, api_url: str, payload: dict[str, Any] | None = None, **options: Any
    ) -> TransportWs:
        url = api_url.replace("http://", "ws://") + "/graphql"
        ws = await connect(url, subprotocols=[cls.protocol], open_timeout=WAIT_S, **options)  # type: ignore[list-item]
        client = cls(ws)
        await client.send({"type": "connection_init", "payload": payload or {}})
        ack = await client.receive()
        assert ack["type"] == "connection_ack", ack
        return client

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self, timeout: float = WAIT_S) -> dict[str, Any]:
        while True:
            message: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if message["type"] == "ping":
                await self.send({"type": "pong"})
            elif message["type"] not in ("pong", "ka"):
                return message

    async def subscribe(self, id: str, query: str, **variables: Any) -> None:
        payload = {"query": query, "variables": variables}
        await self.send({"id": id, "type": "subscribe", "payload": payload})

    async def next(self, id: str, timeout: float = WAIT_S) -> dict[str, Any] | None:
        """The data of the subscription's next message; None once it completed."""
        message = await self.receive(timeout)
        assert message.get("id") == id, message
        if message["type"] == "complete":
            return None
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message["payload"]
        data: dict[str, Any] = message["payload"]["data"]
        return data

    async def stop(self, id: str) -> None:
        await self.send({"id": id, "type": "complete"})

    async def close(self) -> None:
        await self.ws.close()


class LegacyWs(TransportWs):
    """`graphql-ws` (subscriptions-transport-ws): connection_init/ack, start, data, stop."""

    protocol = "graphql-ws"

    async def subscribe(self, id: str, query: str, **variables: Any) -> None:
        payload = {"query": query, "variables": variables}
        await self.send({"id": id, "type": "start", "payload": payload})

    async def next(self, id: str, timeout: float = WAIT_S) -> dict[str, Any] | None:
        message = await self.receive(timeout)
        assert message.get("id") == id, message
        if message["type"] == "complete":
            return None
        assert message["type"] == "data", message
        assert not message["payload"].get("errors"), message["payload"]
        data: dict[str, Any] = message["payload"]["data"]
        return data

    async def stop(self, id: str) -> None:
        await self.send({"id": id, "type": "stop"})
