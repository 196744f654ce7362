"""The outbound URL policy, through real connections on loopback."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import httpcore
import httpx
import pytest
from aiohttp import web

from corral.config.tools import OutboundPolicyConfig
from corral.core.tools.outbound import (
    GuardedTransport,
    OutboundPolicy,
    OutboundRefused,
    guarded_client,
)
from tests.fixtures.aiohttp_thread import serve_in_thread


@pytest.fixture(scope="module")
def site() -> Iterator[int]:
    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    app = web.Application()
    app.router.add_get("/ok", ok)
    app.router.add_get("/redirect", redirect)
    with serve_in_thread(app) as port:
        yield port


def policy(**fields: list[str]) -> OutboundPolicy:
    return OutboundPolicy(OutboundPolicyConfig.model_validate(fields))


async def fetch(p: OutboundPolicy, url: str) -> httpx.Response:
    async with guarded_client(p) as client:
        return await client.get(url)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "168.63.129.16",
    ],
)
def test_non_public_and_metadata_addresses_are_refused_by_default(address: str) -> None:
    assert policy().address_problem(ipaddress.ip_address(address)) is not None


def test_public_addresses_pass() -> None:
    for address in ("93.184.215.14", "2606:4700::1111", "8.8.8.8"):
        assert policy().address_problem(ipaddress.ip_address(address)) is None


async def test_loopback_is_refused_by_default_after_dns_resolution(site: int) -> None:
    for host in ("127.0.0.1", "localhost", "[::1]", "127.1", "2130706433", "0x7f000001"):
        with pytest.raises(OutboundRefused, match="loopback"):
            await fetch(policy(), f"http://{host}:{site}/ok")


async def test_an_allowed_network_opens_loopback(site: int) -> None:
    response = await fetch(policy(allow_networks=["127.0.0.0/8"]), f"http://localhost:{site}/ok")
    assert response.text == "hello"


async def test_an_allowed_host_name_is_not_address_checked(site: int) -> None:
    response = await fetch(policy(allow_hosts=["localhost"]), f"http://localhost:{site}/ok")
    assert response.text == "hello"
    wildcard = policy(allow_hosts=["*.corp.example"])
    assert wildcard.host_is_trusted("a.b.corp.example") and wildcard.host_is_trusted("corp.example")
    assert not wildcard.host_is_trusted("evilcorp.example")


async def test_a_redirect_to_a_refused_address_is_refused(site: int) -> None:
    allowed = policy(allow_networks=["127.0.0.1/32"])
    ok = await fetch(allowed, f"http://127.0.0.1:{site}/redirect?to=/ok")
    assert ok.text == "hello"  # a redirect that stays on allowed ground is followed
    for target in (f"http://127.0.0.2:{site}/ok", "http://169.254.169.254/latest/meta-data"):
        with pytest.raises(OutboundRefused):
            await fetch(allowed, f"http://127.0.0.1:{site}/redirect?to={target}")


async def test_schemes_credentials_and_unknown_hosts_are_refused() -> None:
    p = policy()
    for url, reason in (
        ("file:///etc/passwd", "scheme"),
        ("http://user:pw@example.com/", "credentials"),
    ):
        with pytest.raises(OutboundRefused, match=reason):
            p.check_url(url)
    with pytest.raises(OutboundRefused, match="cannot resolve"):
        await fetch(p, "http://no-such-host.invalid/")
    with pytest.raises(OutboundRefused, match="scheme"):
        await fetch(policy(allowed_schemes=["https"]), "http://example.com/")


def test_the_transport_still_has_the_private_pool_it_replaces() -> None:
    """GuardedTransport replaces httpx's private ``_pool``; fail loudly if httpx changes it."""
    transport = GuardedTransport(policy())
    assert isinstance(transport._pool, httpcore.AsyncConnectionPool)
    assert hasattr(httpx.AsyncHTTPTransport(), "_pool")
