"""Who sent a request: the one client address the per-address limits count.

By default the client is the peer of the TCP connection and ``X-Forwarded-For`` means
nothing: anyone can write that header. Only when the peer is one of the reverse proxies
named in ``TRACKTWO_TRUSTED_PROXIES`` is the header read, from the right (each proxy
appends the address it saw), skipping the trusted proxies; the first address that is not
one of them is the client. Everything to the left of it was written by the client itself.

``tracktwo serve`` starts uvicorn with ``proxy_headers=False`` so the peer reaches the app
unchanged. Under ``uvicorn --factory`` the admin must pass ``--no-proxy-headers`` (or
``--forwarded-allow-ips`` naming only the proxy): uvicorn's default trusts the header from
127.0.0.1, and the app cannot undo what uvicorn rewrote before it.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

from starlette.requests import HTTPConnection

from tracktwo.web._settings import Network

__all__ = ["ForwardedScheme", "client_address", "forwarded_client"]

UNKNOWN = "unknown"
_LONGEST = 64  # the address columns' width


def _as_ip(text: str) -> IPv4Address | IPv6Address | None:
    """``text`` as an address, with a port (``1.2.3.4:80``, ``[::1]:80``) or brackets dropped."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else text
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return ip_address(text)
    except ValueError:
        return None


def _trusted(host: str, proxies: tuple[Network, ...]) -> bool:
    found = _as_ip(host)
    return found is not None and any(found in network for network in proxies)


def forwarded_client(peer: str, forwarded_for: list[str], proxies: tuple[Network, ...]) -> str:
    """The client behind ``peer``: ``forwarded_for`` holds the X-Forwarded-For header
    values in the order received; only a trusted ``peer`` makes them count."""
    if not _trusted(peer, proxies):
        return peer[:_LONGEST]
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",")]
    hops = [hop for hop in hops if hop]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            found = _as_ip(hop)
            return (str(found) if found is not None else hop)[:_LONGEST]
    # every hop is a trusted proxy: the leftmost is as far as anyone can see
    return str(_as_ip(hops[0])) if hops else peer[:_LONGEST]


def _peer(scope: Any) -> str:
    client = scope.get("client")
    return str(client[0]) if client else UNKNOWN


def _forwarded_for(scope: Any) -> list[str]:
    return [value.decode("latin-1") for name, value in scope["headers"]
            if name == b"x-forwarded-for"]  # fmt: skip


def client_address(request: HTTPConnection) -> str:
    """The address the login and sign-up limits count for ``request``."""
    proxies = request.app.state.sources.settings.trusted_proxies
    return forwarded_client(_peer(request.scope), _forwarded_for(request.scope), proxies)


class ForwardedScheme:
    """Takes the scheme (``https``) from ``X-Forwarded-Proto`` when the peer is a trusted
    proxy, as uvicorn's proxy headers did: behind a TLS proxy the session cookies stay
    ``Secure``. A plain ASGI middleware."""

    def __init__(self, app: Any, proxies: tuple[Network, ...]) -> None:
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.proxies and _trusted(_peer(scope), self.proxies):
            scheme = _last_header(scope, b"x-forwarded-proto")
            if scheme in ("http", "https"):
                scope["scheme"] = scheme
        await self.app(scope, receive, send)


def _last_header(scope: Any, wanted: bytes) -> str | None:
    """The proto set by the nearest proxy: the last value, its last comma-separated part."""
    values = [value for name, value in scope["headers"] if name == wanted]
    return values[-1].decode("latin-1").split(",")[-1].strip().lower() if values else None
