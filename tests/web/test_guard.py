"""The browser guard: foreign Host headers (DNS rebinding), foreign Origins on WebSockets and on
requests that change state, and the Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from runlens.api.guard import allowed_hosts
from runlens.serve import Endpoints
from tests.conftest import running_server

TERMINATE = 'mutation { terminateRun(id: "0123456789abcdef0123456789abcdef") { state } }'


@pytest.fixture(scope="module")
def server(chdb_dsn: str) -> Iterator[Endpoints]:
    with running_server(
        chdb_dsn, project="web-guard", allowed_hosts="runlens.internal"
    ) as endpoints:
        yield endpoints


def test_a_foreign_host_is_refused(server: Endpoints) -> None:
    for path in ("/runs", "/healthz", "/export/runs"):
        response = httpx.get(server.api_url + path, headers={"Host": "evil.example.com"})
        assert response.status_code == 400, path
        assert "not allowed" in response.json()["error"]["message"]
    rebound = httpx.post(
        server.api_url + "/graphql",
        json={"query": "{ runs { edges { node { id } } } }"},
        headers={"Host": f"evil.example.com:{server.api_port}"},
    )
    assert rebound.status_code == 400


def test_bound_and_configured_hosts_are_answered(server: Endpoints) -> None:
    for host in (
        f"127.0.0.1:{server.api_port}",
        f"localhost:{server.api_port}",
        "runlens.internal",
    ):
        response = httpx.get(server.api_url + "/healthz", headers={"Host": host})
        assert response.status_code == 200, host


def test_a_foreign_origin_cannot_mutate(server: Endpoints) -> None:
    url = server.api_url + "/graphql"
    foreign = httpx.post(
        url, json={"query": TERMINATE}, headers={"Origin": "http://evil.example.com"}
    )
    assert foreign.status_code == 403
    # The same origin gets through the guard (and the mutation answers for itself).
    own = httpx.post(url, json={"query": TERMINATE}, headers={"Origin": server.api_url})
    assert own.status_code == 200 and "terminateRun" in own.text
    # A page on another port of the same machine is another origin.
    other_port = httpx.post(
        url, json={"query": TERMINATE}, headers={"Origin": "http://127.0.0.1:1"}
    )
    assert other_port.status_code == 403


def _handshake(server: Endpoints, origin: str, host: str | None = None) -> None:
    url = server.api_url.replace("http://", "ws://") + "/graphql"
    headers = {"Host": host} if host else {}
    with connect(
        url,
        origin=origin,  # type: ignore[arg-type]
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers=headers,
        open_timeout=10,
    ):
        pass


def test_a_websocket_from_a_foreign_origin_is_refused(server: Endpoints) -> None:
    with pytest.raises(InvalidStatus) as refused:
        _handshake(server, "http://evil.example.com")
    assert refused.value.response.status_code == 403
    _handshake(server, server.api_url)  # the UI's own origin connects


def test_a_rebound_websocket_is_refused_even_with_a_matching_origin(server: Endpoints) -> None:
    """DNS rebinding: the page's origin and Host agree, and name a host not served."""
    evil = f"evil.example.com:{server.api_port}"
    with pytest.raises(InvalidStatus) as refused:
        _handshake(server, f"http://{evil}", host=evil)
    assert refused.value.response.status_code in (400, 403)


def test_every_response_carries_the_security_policy(server: Endpoints) -> None:
    for path in ("/runs", "/healthz", "/graphql?query=%7B__typename%7D"):
        headers = httpx.get(server.api_url + path).headers
        policy = headers["content-security-policy"]
        assert "default-src 'self'" in policy and "connect-src 'self'" in policy, path
        assert "http" not in policy and "*" not in policy, policy
        assert headers["x-content-type-options"] == "nosniff"
    page = httpx.get(server.api_url + "/runs").headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in page and "'unsafe-inline'" not in page


def test_allowed_hosts_follow_the_bound_address() -> None:
    loopback = allowed_hosts("127.0.0.1")
    assert loopback is not None and {"127.0.0.1", "localhost", "::1"} <= loopback
    assert "evil.example.com" not in loopback
    lan = allowed_hosts("192.168.1.20", ["Runlens.LAN"])
    assert lan == frozenset({"192.168.1.20", "runlens.lan"})
    everywhere = allowed_hosts("0.0.0.0")
    assert everywhere is not None and "localhost" in everywhere
    assert allowed_hosts("127.0.0.1", ["*"]) is None
    assert allowed_hosts("::1", ["[fe80::1]"]) == frozenset(
        {"::1", "fe80::1", "127.0.0.1", "localhost"}
    )
