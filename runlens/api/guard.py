"""What keeps a browser on the same machine from being used against the API: only the hosts the
server is bound to or configured for are answered (a DNS-rebound name such as
`evil.example.com` pointing at 127.0.0.1 gets 400), WebSocket handshakes and requests that
change state from a foreign `Origin` get 403, and every response carries a
Content-Security-Policy that lets a page load and connect to this origin only."""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ANY_HOST = "*"


def content_security_policy(
    script_hashes: Iterable[str] = (), *, inline_styles: bool = False
) -> str:
    """This origin only; `script_hashes` admit inline scripts by their sha256 (the import map)."""
    scripts = " ".join(["'self'", *(f"'sha256-{h}'" for h in script_hashes)])
    styles = "'self' 'unsafe-inline'" if inline_styles else "'self'"
    return (
        f"default-src 'self'; script-src {scripts}; style-src {styles}; img-src 'self' data:; "
        "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    )


def allowed_hosts(bind_host: str, configured: Iterable[str] = ()) -> frozenset[str] | None:
    """The host names a request may name: the bound address, the loopback names when bound to
    loopback, this machine's names too when bound to every interface, and `configured`; None
    (any host) when `configured` holds `*`."""
    extra = {_bare(name) for name in configured if name.strip()}
    if ANY_HOST in extra:
        return None
    hosts = {_bare(bind_host), *extra}
    if _is_wildcard(bind_host):
        hosts |= LOOPBACK_NAMES | {socket.gethostname().lower(), socket.getfqdn().lower()}
    elif _bare(bind_host) in LOOPBACK_NAMES or _is_loopback(bind_host):
        hosts |= LOOPBACK_NAMES
    return frozenset(hosts)


def host_name(authority: str) -> str | None:
    """`127.0.0.1:8000` -> `127.0.0.1`, `[::1]:8000` -> `::1`; None when malformed."""
    try:
        return urlsplit(f"//{authority}").hostname
    except ValueError:
        return None


class BrowserGuard:
    """ASGI middleware: host check, Origin check, security headers."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str] | None, csp: str) -> None:
        """`hosts` None: any Host is answered (an app mounted by its caller, tests)."""
        self._app, self._hosts, self._csp = app, hosts, csp.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self._app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        authority = headers.get("host", "")
        host = host_name(authority)
        if self._hosts is not None and (host is None or host.lower() not in self._hosts):
            await self._refuse(scope, send, 400, f"host {authority!r} is not allowed "
                               "(runlens serve --allowed-hosts NAME to allow it)")  # fmt: skip
            return
        changes = scope["type"] == "websocket" or scope.get("method") not in SAFE_METHODS
        origin = headers.get("origin")
        if changes and origin is not None and not self._same_origin(origin, authority):
            await self._refuse(scope, send, 403, f"origin {origin!r} is not allowed")
            return
        await self._app(scope, receive, self._with_headers(send))

    def _same_origin(self, origin: str, authority: str) -> bool:
        try:
            parts = urlsplit(origin)
        except ValueError:
            return False
        return parts.scheme in ("http", "https") and parts.netloc.lower() == authority.lower()

    def _with_headers(self, send: Send) -> Send:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", self._csp))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"no-referrer"))
                message = {**message, "headers": headers}
            await send(message)

        return sending

    async def _refuse(self, scope: Scope, send: Send, status: int, message: str) -> None:
        if scope["type"] == "websocket":  # before the handshake: the server answers 403
            await send({"type": "websocket.close", "code": 1008, "reason": message})
            return
        code = "BAD_REQUEST" if status == 400 else "FORBIDDEN"
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        await send({
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode())],
        })  # fmt: skip
        await send({"type": "http.response.body", "body": body})


def _bare(name: str) -> str:
    name = name.strip().lower()
    return name[1:-1] if name.startswith("[") and name.endswith("]") else name


def _is_wildcard(host: str) -> bool:
    return _bare(host) in ("", "0.0.0.0", "::")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(_bare(host)).is_loopback
    except ValueError:
        return False
