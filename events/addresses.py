"""Which URLs and addresses a webhook may reach: never the machine itself, its private network or a cloud's metadata.

One rule (`refused_address`), checked when an endpoint is saved (every address its host resolves
to) and again on every connection the worker opens (the address actually connected to), so a DNS
record changed after saving (or rebinding between lookup and connect) cannot aim a delivery inward.
WEBHOOK_ALLOW_PRIVATE_NETWORKS=true lifts it (development and tests); WEBHOOK_ALLOW_HTTP allows http.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from .errors import UnsafeAddress, UnsafeURL

# Cloud metadata services outside the non-global ranges (the usual 169.254.169.254 is link-local already).
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in ("fd00:ec2::254", "100.100.100.200", "192.0.0.192"))


def refused_address(address: str) -> str | None:
    """Why `address` may not be called (loopback, private, link-local, metadata, ...), or None when it is public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    for kind in ("loopback", "link_local", "unspecified", "multicast", "reserved", "private"):
        if getattr(ip, f"is_{kind}"):
            return f"{ip} is a {kind.replace('_', '-')} address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None


def check_url(url: str) -> None:
    """Raise UnsafeURL (with the reason) unless `url` may be a webhook endpoint now."""
    parts = urlsplit(url)
    allowed = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed:
        raise UnsafeURL("Use an https:// URL (http is allowed only with WEBHOOK_ALLOW_HTTP=true, for development).")
    if not parts.hostname:
        raise UnsafeURL("The URL has no host.")
    if parts.username or parts.password:
        raise UnsafeURL("The URL may not carry a user name or password; put credentials in the path or a query.")
    if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as exc:
        raise UnsafeURL(f"The host {parts.hostname!r} does not resolve ({exc}).") from exc
    for info in infos:
        if reason := refused_address(info[4][0]):
            raise UnsafeURL(
                f"{parts.hostname} resolves to {reason}; hedge does not call private networks "
                "(WEBHOOK_ALLOW_PRIVATE_NETWORKS=true allows it, for development)."
            )


def check_peer(sock: socket.socket) -> None:
    """Raise UnsafeAddress when the connected socket's peer is not a public address (unless allowed)."""
    if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        return
    address = sock.getpeername()[0]
    if reason := refused_address(address):
        raise UnsafeAddress(f"refused: the URL's host now resolves to {reason}")
