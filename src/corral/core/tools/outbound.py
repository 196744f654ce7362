"""The outbound URL policy: where server-side tools may connect.

Every connection a tool opens because a request asked for it goes through
`OutboundPolicy`: the URL's scheme is checked, the host name is resolved
*here*, every address it resolves to must be allowed, and the connection is
then made to the checked address itself (TLS still verifies the host name).
Because the check sits in the HTTP client's network backend, it runs for each
connection, so a redirect to another host is checked like the first request,
and a name that resolves to a public address once and a private one later (DNS
rebinding) cannot slip through between check and connect.

Denied unless allowed by the run config (``tools.outbound``): every address
that is not globally routable (loopback, private, link-local including the
cloud metadata address 169.254.169.254, CGNAT, unique-local IPv6, multicast,
reserved, unspecified), IPv4-mapped IPv6 forms of those, and the well-known
metadata addresses that are global (Azure's 168.63.129.16, Alibaba's
100.100.100.200 is CGNAT already). The policy only decides; it logs nothing
and never sees request bodies or headers.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx

from corral.config.tools import OutboundPolicyConfig

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Global addresses that answer as cloud metadata or host agents.
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("168.63.129.16")})


class OutboundRefused(Exception):
    """The policy refused a URL or an address; the message says which and why."""


class OutboundPolicy:
    """Decides whether a URL may be fetched and an address connected to."""

    def __init__(self, config: OutboundPolicyConfig) -> None:
        self.networks = [ipaddress.ip_network(n, strict=False) for n in config.allow_networks]
        self.hosts = [h.lower().rstrip(".") for h in config.allow_hosts]
        self.schemes = frozenset(config.allowed_schemes)

    def check_url(self, url: str) -> None:
        """Refuse a URL whose scheme is not allowed or that has no host (before any I/O)."""
        parts = urlsplit(url)
        if parts.scheme not in self.schemes:
            raise OutboundRefused(f"URL scheme {parts.scheme!r} is not allowed")
        if not parts.hostname:
            raise OutboundRefused("the URL has no host")
        if parts.username or parts.password:
            raise OutboundRefused("credentials in the URL are not accepted; use headers")

    def host_is_trusted(self, host: str) -> bool:
        """True when the operator allowed this host name whatever it resolves to."""
        name = host.lower().rstrip(".")
        for allowed in self.hosts:
            if allowed.startswith("*."):
                if name == allowed[2:] or name.endswith(allowed[1:]):
                    return True
            elif name == allowed:
                return True
        return False

    def address_problem(self, address: IPAddress) -> str | None:
        """Why connecting to `address` is refused, or None when it is allowed."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in net for net in self.networks):
            return None
        if address in METADATA_ADDRESSES:
            return f"{address} is a cloud metadata address"
        if address.is_loopback:
            return f"{address} is a loopback address"
        if address.is_link_local:
            return f"{address} is a link-local address (cloud metadata lives there)"
        if address.is_private:
            return f"{address} is a private address"
        if not address.is_global or address.is_multicast:
            return f"{address} is not a public address"
        return None

    async def resolve(self, host: str, port: int) -> list[str]:
        """The allowed addresses of `host`; refused when any of them is not allowed."""
        literal = _literal(host)
        if literal is not None:
            candidates: Iterable[IPAddress] = [literal]
        else:
            try:
                infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except socket.gaierror as exc:
                raise OutboundRefused(f"cannot resolve {host!r}: {exc.strerror}") from None
            candidates = [ipaddress.ip_address(info[4][0]) for info in infos]
        addresses = list(dict.fromkeys(candidates))
        if not self.host_is_trusted(host):
            for address in addresses:
                problem = self.address_problem(address)
                if problem:
                    raise OutboundRefused(f"{host} resolves to {problem}; not allowed by policy")
        if not addresses:
            raise OutboundRefused(f"{host!r} has no address")
        return [str(a) for a in addresses]


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to addresses the policy allows."""

    def __init__(self, policy: OutboundPolicy, inner: httpcore.AsyncNetworkBackend) -> None:
        self.policy = policy
        self.inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve and check `host`, then connect to the first checked address that answers."""
        addresses = await self.policy.resolve(host, port)
        last: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None  # addresses is never empty
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Never: tools do not reach local sockets."""
        raise OutboundRefused("unix sockets are not reachable by tools")

    async def sleep(self, seconds: float) -> None:
        """Delegate."""
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the policy in its network backend and the URL checked first."""

    def __init__(self, policy: OutboundPolicy, *, retries: int = 0) -> None:
        super().__init__(trust_env=False, retries=retries)
        # httpx builds its pool without a way to pass a network backend; replace it with an
        # identical pool that has one (tests/core/test_outbound.py pins this private field).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl.create_default_context(),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            retries=retries,
            network_backend=GuardedBackend(policy, httpcore.AnyIOBackend()),
        )
        self.policy = policy

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Check the URL's scheme and host, then send through the guarded pool."""
        self.policy.check_url(str(request.url))
        return await super().handle_async_request(request)


def guarded_client(
    policy: OutboundPolicy,
    *,
    headers: dict[str, str] | None = None,
    timeout: httpx.Timeout | None = None,
    max_redirects: int = 3,
) -> httpx.AsyncClient:
    """An httpx client whose every connection (redirects included) obeys `policy`."""
    return httpx.AsyncClient(
        transport=GuardedTransport(policy),
        headers=headers,
        timeout=timeout or httpx.Timeout(30.0),
        follow_redirects=True,
        max_redirects=max_redirects,
        trust_env=False,
    )


class FetchFailed(Exception):
    """A URL could not be fetched (HTTP error, too large, too slow); safe to show."""


async def fetch(
    policy: OutboundPolicy, url: str, *, max_bytes: int, timeout: float
) -> tuple[bytes, str]:
    """The body of `url` (redirects followed, each hop checked) and its content type.

    Refused by the policy: `OutboundRefused`; anything else that goes wrong,
    including a body over `max_bytes` or no answer within `timeout` seconds:
    `FetchFailed`.
    """
    policy.check_url(url)
    try:
        async with (
            guarded_client(policy, timeout=httpx.Timeout(timeout)) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise FetchFailed(f"the server answered HTTP {response.status_code}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchFailed(f"the file is larger than {max_bytes} bytes")
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchFailed(f"the file is larger than {max_bytes} bytes")
                chunks.append(chunk)
            return b"".join(chunks), response.headers.get("content-type", "")
    except httpx.TimeoutException:
        raise FetchFailed(f"no answer within {timeout:g}s") from None
    except httpx.TooManyRedirects:
        raise FetchFailed("too many redirects") from None
    except httpx.HTTPError:
        raise FetchFailed("cannot connect") from None
