"""Server-side request forgery guard, checked when a connection is opened.

A user-supplied URL (a source, a discovered feed, a redirect target) must not make
Clarion talk to its own host, its private network or a cloud metadata service. The
check sits in the network layer of the HTTP client, where the connection is made:

1. the host name is resolved **once**;
2. every resolved address is checked (``AddressPolicy.blocked_reason``); if any is
   refused, the whole host is refused (``BlockedAddressError`` naming the address);
3. the socket connects to one of **those same addresses**; the URL, the ``Host``
   header and the TLS SNI name stay the host name, so certificates are verified as
   usual.

There is no second resolution for an attacker's DNS to answer differently (DNS
rebinding), and each redirect hop that opens a connection is checked the same way.
Proxies are never used (``trust_env=False``), so no request leaves through one.

Two clients carry the guard: the crawler's aiohttp session (``GuardedResolver``
for host names, ``guarded_socket_factory`` for every socket, which is where a
literal address in a URL is caught) and httpx2 clients for hub and webhook
requests (``GuardedBackend``, an httpcore2 network backend).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import aiohttp
import aiohttp.abc
import httpcore2
import httpx2

from crawlers._errors import BlockedAddressError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# A resolver maps (host, port) to the addresses to try, in order. Injected by tests
# to play a rebinding DNS server without a network; the default is the system's.
Resolver = Callable[[str, int], Awaitable[list[str]]]

# Cloud instance-metadata endpoints, named in errors because reaching one leaks
# credentials. Most are already link-local or private; listing them keeps them
# refused even if a deployment allows the surrounding range.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud (legacy)
    )
)
# NAT64's well-known prefix embeds an IPv4 address that the check must see.
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Which addresses may be connected to: public ones, plus ``allowed`` networks.

    Metadata addresses stay refused even inside an allowed network, unless the
    allowed network is exactly that one address.
    """

    allowed: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_cidrs(cls, cidrs: Iterable[str]) -> AddressPolicy:
        """Parse CIDRs such as ``"127.0.0.1/32"``; raises ``ValueError`` on a bad one."""
        return cls(tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs))

    def blocked_reason(self, address: IPAddress) -> str | None:
        """Why ``address`` is refused (e.g. ``"loopback"``), or None when it is allowed."""
        for candidate in _addresses_reached(address):
            if candidate in METADATA_ADDRESSES:
                if any(n.num_addresses == 1 and candidate in n for n in self.allowed):
                    continue
                return "cloud metadata"
            if any(candidate in n for n in self.allowed):
                continue
            reason = _non_public_kind(candidate)
            if reason is not None:
                return reason
        return None


def _addresses_reached(address: IPAddress) -> tuple[IPAddress, ...]:
    """The addresses a connection to ``address`` really reaches, to be checked.

    An IPv4-mapped or NAT64 address *is* its embedded IPv4 address (the outer form
    is "reserved" to Python whatever it carries); 6to4 and Teredo addresses are
    checked both as themselves and as the IPv4 address they tunnel to.
    """
    if not isinstance(address, ipaddress.IPv6Address):
        return (address,)
    if address.ipv4_mapped is not None:
        return (address.ipv4_mapped,)
    if address in NAT64_PREFIX:
        return (ipaddress.IPv4Address(int(address) & 0xFFFFFFFF),)
    if address.sixtofour is not None:
        return (address.sixtofour, address)
    if address.teredo is not None:
        return (address.teredo[1], address)
    return (address,)


def _non_public_kind(address: IPAddress) -> str | None:
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_unspecified:
        return "unspecified"
    if address.is_reserved:  # before is_private, which also covers 240.0.0.0/4
        return "reserved"
    if address.is_private:
        return "private"
    if not address.is_global:  # shared (100.64/10), documentation, benchmarking ...
        return "non-public"
    return None


async def system_resolver(host: str, port: int) -> list[str]:
    """Addresses of ``host`` from the system resolver, in its preference order."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for info in infos:
        seen.setdefault(str(info[4][0]), None)
    return list(seen)


async def checked_addresses(
    policy: AddressPolicy, resolve: Resolver, host: str, port: int
) -> list[IPAddress]:
    """The addresses of ``host``, every one allowed by ``policy``.

    Raises ``BlockedAddressError`` if any is refused, ``OSError`` when the name
    does not resolve (or resolves to nothing).
    """
    try:
        literal: IPAddress | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    names = [str(literal)] if literal is not None else await resolve(host, port)
    addresses = [ipaddress.ip_address(name.split("%")[0]) for name in names]
    if not addresses:
        raise OSError(f"{host} resolved to no address")
    for address in addresses:
        reason = policy.blocked_reason(address)
        if reason is not None:
            raise BlockedAddressError(
                f"blocked {reason} address {address} (host {host})",
                url=host,
                address=str(address),
            )
    return addresses


class GuardedResolver(aiohttp.abc.AbstractResolver):
    """An aiohttp resolver that hands the connector only checked addresses."""

    def __init__(self, policy: AddressPolicy, *, resolver: Resolver | None = None) -> None:
        self._policy = policy
        self._resolve = resolver or system_resolver

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[aiohttp.abc.ResolveResult]:
        addresses = await checked_addresses(self._policy, self._resolve, host, port)
        return [
            {
                "hostname": host,  # kept for the Host header, SNI and the certificate check
                "host": str(address),
                "port": port,
                "family": socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for address in addresses
        ]

    async def close(self) -> None:
        pass


def guarded_socket_factory(
    policy: AddressPolicy,
) -> Callable[[tuple[int, int, int, str, tuple[object, ...]]], socket.socket]:
    """An aiohttp ``socket_factory`` that refuses to open a socket to a refused address.

    Host names were checked by ``GuardedResolver`` already; a literal address in a
    URL skips resolution, and is caught here.
    """

    def factory(addr_info: tuple[int, int, int, str, tuple[object, ...]]) -> socket.socket:
        family, kind, proto, _, sockaddr = addr_info
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        reason = policy.blocked_reason(address)
        if reason is not None:
            raise BlockedAddressError(
                f"blocked {reason} address {address}", url=str(address), address=str(address)
            )
        return socket.socket(family, kind, proto)

    return factory


class GuardedBackend(httpcore2.AsyncNetworkBackend):
    """An httpcore2 network backend that resolves, checks, then connects to the checked IP."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        resolver: Resolver | None = None,
        inner: httpcore2.AsyncNetworkBackend | None = None,
    ) -> None:
        self._policy = policy
        self._resolve = resolver or system_resolver
        self._inner = inner or httpcore2.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore2's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        addresses = await self._checked_addresses(host, port, timeout)
        last: Exception | None = None
        for address in addresses:  # the first that accepts; all were checked
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore2.ConnectError, httpcore2.ConnectTimeout) as exc:
                last = exc
        assert last is not None  # _checked_addresses never returns an empty list
        raise last

    async def _checked_addresses(
        self,
        host: str,
        port: int,
        timeout: float | None,  # noqa: ASYNC109
    ) -> list[IPAddress]:
        try:
            async with asyncio.timeout(timeout):
                return await checked_addresses(self._policy, self._resolve, host, port)
        except TimeoutError as exc:
            raise httpcore2.ConnectTimeout(f"resolving {host} timed out") from exc
        except OSError as exc:
            raise httpcore2.ConnectError(f"cannot resolve {host}: {exc}") from exc

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore2's interface
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        raise BlockedAddressError("unix sockets are never connected to", url=path, address=path)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(
    allow_networks: Iterable[str] = (),
    *,
    max_connections: int = 10,
    resolver: Resolver | None = None,
) -> httpx2.AsyncBaseTransport:
    """An httpx2 transport with the SSRF guard, for clients other than ``Fetcher``
    (e.g. WebSub subscription requests to a hub named by a feed):
    ``httpx2.AsyncClient(transport=guarded_transport(("127.0.0.1/32",)), trust_env=False)``.
    Refusals raise ``BlockedAddressError`` (with ``url`` = the host) out of the client.
    """
    backend = GuardedBackend(AddressPolicy.from_cidrs(allow_networks), resolver=resolver)
    limits = httpx2.Limits(max_connections=max_connections)
    return GuardedTransport(limits=limits, backend=backend)


class GuardedTransport(httpx2.AsyncHTTPTransport):
    """httpx2's own transport with its connection pool built on a ``GuardedBackend``.

    httpx2 does not take a network backend as an argument, so the pool is rebuilt
    with the same settings; ``tests/crawlers/test_guard.py`` fails if that stops
    working. ``ssl_context`` defaults to httpx2's (the system's CAs, no environment).
    """

    def __init__(
        self,
        *,
        limits: httpx2.Limits,
        backend: GuardedBackend,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(limits=limits, trust_env=False)
        self._pool = httpcore2.AsyncConnectionPool(
            ssl_context=ssl_context or httpx2.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )
