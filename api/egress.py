"""Outbound HTTP to URLs that users gave us (webhooks), kept off the server's own network.

An admin who can register a webhook could otherwise make the server POST to its own
loopback, the cloud metadata address or services behind the firewall (server-side request
forgery). Unless ``DEALPROOF_WEBHOOK_ALLOW_PRIVATE`` is set, such URLs are refused when they
are registered (for addresses and ``localhost`` names written in the URL) and again when
each delivery connects: the host name is resolved here, every address it has must be
public, and the connection goes to an address that was checked, so a DNS answer that
changes between the check and the connect (rebinding) cannot reach a private address.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

import httpcore

ALLOW_HINT = "set DEALPROOF_WEBHOOK_ALLOW_PRIVATE=true to deliver to your own network"


class BlockedAddress(Exception):
    """The URL's host is, or resolves to, an address that is not public."""


def is_public(address: str) -> bool:
    """Whether ``address`` (IPv4 or IPv6, maybe with a ``%zone``) is globally routable
    unicast: not loopback, private, link-local, shared, reserved, multicast or unspecified."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> None:
    """Raise BlockedAddress when the URL names a non-public address or a ``localhost`` name
    outright; other names are checked when a delivery resolves them."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        raise BlockedAddress(f"{host} is this machine; {ALLOW_HINT}")
    try:
        public = is_public(host)
    except ValueError:
        return  # a name, not an address
    if not public:
        raise BlockedAddress(f"{host} is not a public address; {ALLOW_HINT}")


class _PublicOnly(httpcore.SyncBackend):
    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses = [str(info[4][0]) for info in found]
        for address in addresses:
            if not is_public(address):
                raise BlockedAddress(f"{host} resolves to {address}, not a public address")
        # TLS still names the URL's host (SNI, certificate check): httpcore takes it from
        # the request, not from the address connected to.
        return super().connect_tcp(addresses[0], port, timeout, local_address, socket_options)


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: float,
    allow_private: bool,
) -> int:
    """POST ``body`` and return the answer's status. Raises BlockedAddress, or httpcore's
    errors for a URL it cannot use or a connection that fails. Redirects are not followed
    (a redirect could point anywhere) and no proxy is used: deliveries connect directly."""
    if not allow_private:
        check_url(url)
    backend = httpcore.SyncBackend() if allow_private else _PublicOnly()
    with httpcore.ConnectionPool(network_backend=backend, max_connections=1) as pool:
        response = pool.request(
            "POST",
            url,
            headers=list(headers.items()),
            content=body,
            extensions={"timeout": dict.fromkeys(("connect", "read", "write", "pool"), timeout)},
        )
        return response.status
