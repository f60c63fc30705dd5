"""Outbound HTTP to addresses that users give (repository URLs, cluster API servers):
which addresses may be reached, and a deadline for the whole exchange.

A space admin names the URL, so without a rule the server would fetch whatever it can
reach itself: the cloud's metadata service (169.254.169.254), its own ports on
loopback, the private network behind it. `AddressPolicy` refuses every address that is
not global unicast (loopback, link-local, private, shared, multicast, unspecified,
reserved, IPv4 inside IPv6 included) unless the operator lists its network in
SPACEGATE_OUTBOUND_ALLOWED_NETWORKS.

The check is made where the connection is made (`guarded_pool_manager`): the host is
resolved once, every address it resolves to is checked, and the socket connects to a
checked address, so neither a redirect nor a name that resolves differently the second
time (DNS rebinding) gets past it. A `Watchdog` gives the whole exchange a deadline:
when it passes, the sockets it opened are shut down, which ends a read that a server
trickling one byte at a time would otherwise keep alive forever.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import threading
from collections.abc import Iterable
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_REDIRECTS = 5


class AddressPolicy:
    """Which addresses outbound requests may connect to."""

    def __init__(self, allowed_networks: Iterable[str] = ()) -> None:
        self.allowed: tuple[Network, ...] = tuple(
            ipaddress.ip_network(network, strict=False) for network in allowed_networks
        )

    def allows(self, address: IPAddress) -> bool:
        mapped = getattr(address, "ipv4_mapped", None)
        if mapped is not None:  # ::ffff:127.0.0.1 is 127.0.0.1
            address = mapped
        if any(
            address in network for network in self.allowed if network.version == address.version
        ):
            return True
        return address.is_global and not address.is_multicast

    def literal_refused(self, host: str) -> bool:
        """Whether `host` is an address literal (in any form a resolver accepts:
        `127.0.0.1`, `2130706433`, `0x7f.1`, `[::1]`) that the policy refuses. A name is
        checked when it is resolved, at connection time."""
        address = literal_address(host)
        return address is not None and not self.allows(address)


def literal_address(host: str) -> IPAddress | None:
    """The address `host` spells, or None for a name."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    # The forms inet_aton accepts (decimal, octal and hex parts, fewer than four parts)
    # are what resolvers also accept; a name never consists of digits, dots and x only.
    if host and all(ch in "0123456789abcdefxABCDEFX." for ch in host) and host[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


class RefusedAddress(OSError):
    """The host resolved only to addresses the policy refuses."""


class Watchdog:
    """The deadline of one exchange, and the sockets it opened."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self.refused: list[str] = []  # hosts refused by the policy, for the server's log
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._timer.cancel()
        with self._lock:
            self._sockets.clear()

    def register(self, sock: socket.socket) -> None:
        with self._lock:
            if self.expired:
                _shut(sock)
            self._sockets.append(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    # shutdown() wakes a thread blocked in recv() on the socket; close() would not.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _connect(
    connection: HTTPConnection, policy: AddressPolicy, watchdog: Watchdog
) -> socket.socket:
    if watchdog.expired:
        raise NewConnectionError(connection, "the deadline has passed")
    host = connection._dns_host
    try:
        infos = socket.getaddrinfo(host, connection.port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise NewConnectionError(connection, f"cannot resolve {host}: {error}") from error
    last: OSError = RefusedAddress(f"{host} resolves only to addresses that are not allowed")
    for family, kind, proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if not policy.allows(address):
            watchdog.refused.append(f"{host} ({address})")
            continue
        sock = socket.socket(family, kind, proto)
        watchdog.register(sock)
        try:
            sock.settimeout(connection.timeout)
            sock.connect(sockaddr)
        except OSError as error:
            sock.close()
            last = error
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise NewConnectionError(connection, f"Failed to establish a new connection: {last}")


def guarded_pool_manager(
    policy: AddressPolicy, watchdog: Watchdog, *, read_timeout: float, headers: dict[str, str]
) -> urllib3.PoolManager:
    """A urllib3 pool manager whose every connection (redirects included) goes to an
    address `policy` allows, registered with `watchdog`. Environment proxies are not
    used: a proxy would connect on our behalf, past the policy."""

    class GuardedHTTP(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return _connect(self, policy, watchdog)

    class GuardedHTTPS(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return _connect(self, policy, watchdog)

    class Pool(HTTPConnectionPool):
        ConnectionCls = GuardedHTTP

    class SecurePool(HTTPSConnectionPool):
        ConnectionCls = GuardedHTTPS

    manager = urllib3.PoolManager(
        headers=headers,
        timeout=urllib3.Timeout(connect=min(10.0, read_timeout), read=read_timeout),
        retries=Retry(total=MAX_REDIRECTS, connect=0, read=0, redirect=MAX_REDIRECTS),
        cert_reqs="CERT_REQUIRED",
    )
    pools: dict[str, Any] = {"http": Pool, "https": SecurePool}
    manager.pool_classes_by_scheme = pools
    return manager
