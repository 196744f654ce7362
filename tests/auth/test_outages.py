"""Identity-provider outages: 503 with Retry-After (never 401), cached identities keep working."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import httpx
import pytest

from corral.auth.providers.oauth2 import MIN_REFETCH_SECONDS, JWKSCache
from corral.config.auth import OAuth2TokenConfig
from corral.errors import IdentityProviderUnavailable
from tests.auth.conftest import config_with_auth
from tests.fixtures.identity_stubs import AUDIENCE, ISSUER, IdentityStubs, rsa_key
from tests.fixtures.polling import FakeClock, wait_until
from tests.fixtures.server import RunningServer, run_server

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


def get_models(server: RunningServer, token: str) -> httpx.Response:
    return httpx.get(
        f"{server.base_url}/v1/models", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    assert response.json()["error"]["code"] == "identity_provider_unavailable"
    assert "www-authenticate" not in response.headers


@pytest.fixture
def outage(stubs: IdentityStubs) -> Iterator[IdentityStubs]:
    yield stubs
    stubs.outage = None


def provider_block(kind: str, stubs: IdentityStubs) -> str:
    blocks = {
        "custom": f'type: custom, endpoint: "{stubs.url}/validate"',
        "kubernetes": f'type: kubernetes, api_server_url: "{stubs.url}"',
        "github": f'type: github_token, github_api_base_url: "{stubs.url}/gh"',
        "introspection": (
            f'type: oauth2_token, introspection: {{url: "{stubs.url}/introspect", '
            "client_id: corral, client_secret: s}"
        ),
    }
    return f"    provider_config: {{{blocks[kind]}}}\n"


def register(kind: str, stubs: IdentityStubs, token: str) -> None:
    if kind == "custom":
        stubs.custom_users[token] = {"principal": f"p-{token}", "message": "ok"}
    elif kind == "kubernetes":
        stubs.k8s_users[token] = {"username": f"p-{token}", "groups": []}
    elif kind == "github":
        stubs.github_users[token] = {"login": f"p-{token}"}
    else:
        stubs.introspection[token] = {"active": True, "sub": f"p-{token}"}


@pytest.mark.parametrize("kind", ["custom", "kubernetes", "github", "introspection"])
def test_an_unreachable_identity_provider_is_503_and_cached_tokens_still_work(
    outage: IdentityStubs, tmp_path: Path, kind: str
) -> None:
    stubs = outage
    register(kind, stubs, f"{kind}-known")
    register(kind, stubs, f"{kind}-new")
    with run_server(config_with_auth(provider_block(kind, stubs)), tmp_path) as server:
        assert get_models(server, f"{kind}-known").status_code == 200
        for failure in (503, 502, 429, "drop"):
            stubs.outage = failure
            assert get_models(server, f"{kind}-known").status_code == 200, failure  # cached
            assert_unavailable(get_models(server, f"{kind}-new"))
        stubs.outage = 401 if kind != "introspection" else None
        if kind != "introspection":  # a real rejection is still a 401
            assert get_models(server, f"{kind}-new").status_code == 401
        stubs.outage = None
        assert get_models(server, f"{kind}-new").status_code == 200
        assert get_models(server, "never-issued").status_code == 401
        assert "Traceback" not in server.log()


def test_jwks_outage_before_the_first_fetch_is_503_until_it_recovers(
    outage: IdentityStubs, tmp_path: Path
) -> None:
    stubs = outage
    auth = f"""    provider_config:
      type: oauth2_token
      jwks: {{uri: "{stubs.url}/jwks"}}
      issuer: "{ISSUER}"
      audience: "{AUDIENCE}"
"""
    stubs.outage = "drop"
    with run_server(config_with_auth(auth), tmp_path) as server:
        assert_unavailable(get_models(server, stubs.mint("alice")))
        stubs.outage = 500
        assert_unavailable(get_models(server, stubs.mint("alice")))
        stubs.outage = None
        wait_until(
            lambda: get_models(server, stubs.mint("alice")).status_code == 200,
            timeout=10,
            interval=0.2,
            what="the JWKS endpoint to be read again",
        )


def jwks_config(stubs: IdentityStubs) -> OAuth2TokenConfig:
    return OAuth2TokenConfig.model_validate(
        {"type": "oauth2_token", "jwks": {"uri": f"{stubs.url}/jwks", "key_recheck_period": 60}}
    )


def test_jwks_cache_keeps_known_keys_through_an_outage_and_picks_up_rotation(
    outage: IdentityStubs,
) -> None:
    """Driven by an injected clock: no waiting for the refresh periods."""
    stubs = outage

    async def scenario() -> None:
        clock = FakeClock()
        async with aiohttp.ClientSession() as session:
            cache = JWKSCache(jwks_config(stubs), session, clock)
            first = stubs.keys[0]
            assert (await cache.key(first.kid)).key_id == first.kid
            fetches = stubs.jwks_fetches

            stubs.outage = 503
            clock.advance(61)  # the periodic refresh is due and fails: the known keys stay
            assert (await cache.key(first.kid)).key_id == first.kid
            assert stubs.jwks_fetches == fetches  # the stub answered 503 before counting
            with pytest.raises(IdentityProviderUnavailable):
                await cache.key("rotated-in")  # a key it would have to fetch: 503, not 401

            stubs.outage = None
            new = rsa_key("rotated-in")
            stubs.keys.append(new)
            clock.advance(MIN_REFETCH_SECONDS + 1)  # retried soon after a failure, not in 60 s
            assert (await cache.key(new.kid)).key_id == new.kid
            assert stubs.jwks_fetches == fetches + 1

            clock.advance(2)  # unknown kids refetch at most every MIN_REFETCH_SECONDS
            with pytest.raises(Exception, match="unknown"):
                await cache.key("garbage")
            assert stubs.jwks_fetches == fetches + 1

    asyncio.run(scenario())
