"""``oauth2_token``: JWTs verified against a JWKS, or opaque tokens checked by introspection.

JWT checks: the header's ``alg`` must be an asymmetric algorithm (``none`` and
the HMAC family are refused, so a token signed with the public key as an HMAC
secret is never accepted), the key is chosen by ``kid`` from the JWKS and must
agree with ``alg``; signature, ``exp`` (required), ``nbf``, ``iss`` and ``aud``
are verified with 30 s of leeway. Keys are refreshed every ``key_recheck_period``
seconds, and at once on an unknown ``kid`` — at most once every 10 s, so
garbage tokens cannot make corral hammer the key server. When the key server
is down, a periodic refresh keeps the keys it has (and tries again after 10 s),
so tokens signed with known keys still validate; a token that needs keys corral
does not have is answered 503 (`IdentityProviderUnavailable`), never 401.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import jwt

from corral.apis.context import User
from corral.auth.providers.base import (
    TRANSPORT_ERRORS,
    Identity,
    RequestInfo,
    http_session,
    map_claims,
    unavailable,
)
from corral.config.auth import OAuth2TokenConfig
from corral.errors import IdentityProviderUnavailable, Unauthenticated

ASYMMETRIC = frozenset(
    {
        "RS256",
        "RS384",
        "RS512",
        "PS256",
        "PS384",
        "PS512",
        "ES256",
        "ES256K",
        "ES384",
        "ES512",
        "EdDSA",
    }
)
log = logging.getLogger("corral.auth")

LEEWAY_SECONDS = 30
MIN_REFETCH_SECONDS = 10.0
MAX_TOKEN_BYTES = 16384


class JWKSCache:
    """Signing keys by kid, refreshed periodically and on demand (rate-limited)."""

    def __init__(
        self,
        config: OAuth2TokenConfig,
        session: aiohttp.ClientSession,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        assert config.jwks is not None
        self._jwks = config.jwks
        self._session = session
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        #: Why the last fetch failed (None after a success): answers requests in between.
        self._last_error: IdentityProviderUnavailable | None = None
        self._lock = asyncio.Lock()

    def _age(self) -> float:
        return float("inf") if self._fetched_at is None else self._clock() - self._fetched_at

    async def key(self, kid: str | None) -> jwt.PyJWK:
        """The key for `kid` (or the only key when the token names none)."""
        if not self._keys or self._age() > self._jwks.key_recheck_period:
            await self._refresh(keep_on_failure=True)
        found = self._lookup(kid)
        if found is None and self._age() > MIN_REFETCH_SECONDS:
            await self._refresh(keep_on_failure=False)
            found = self._lookup(kid)
        if found is None:
            if self._last_error is not None:
                raise self._last_error
            raise Unauthenticated("the token's signing key is unknown")
        return found

    def _lookup(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None:
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    async def _refresh(self, keep_on_failure: bool) -> None:
        """Fetch the keys; a failed periodic refresh keeps the known ones and retries soon."""
        async with self._lock:
            if self._age() < 1.0:
                return
            self._fetched_at = self._clock()
            try:
                self._keys = await self._fetch()
                self._last_error = None
            except IdentityProviderUnavailable as exc:
                self._last_error = exc
                if not (keep_on_failure and self._keys):
                    raise
                self._fetched_at -= max(0.0, self._jwks.key_recheck_period - MIN_REFETCH_SECONDS)
                log.warning("%s; keeping the %d known signing keys", exc.message, len(self._keys))

    async def _fetch(self) -> dict[str, jwt.PyJWK]:
        assert self._jwks is not None
        headers = {"Authorization": f"Bearer {self._jwks.token}"} if self._jwks.token else {}
        try:
            async with self._session.get(self._jwks.uri, headers=headers) as resp:
                if resp.status != 200:
                    raise IdentityProviderUnavailable(f"the JWKS endpoint answered {resp.status}")
                data = await resp.json(content_type=None)
        except TRANSPORT_ERRORS as exc:
            raise unavailable("the JWKS endpoint", exc) from None
        keys: dict[str, jwt.PyJWK] = {}
        for index, raw in enumerate(data.get("keys", []) if isinstance(data, dict) else []):
            try:
                key = jwt.PyJWK(raw)
            except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
                continue
            if key.algorithm_name in ASYMMETRIC:
                keys[str(raw.get("kid", index))] = key
        return keys


class OAuth2TokenProvider:
    """Validates JWTs (JWKS) or opaque tokens (introspection)."""

    def __init__(self, config: OAuth2TokenConfig) -> None:
        self._config = config
        self._session_: aiohttp.ClientSession | None = None
        self._jwks: JWKSCache | None = None

    @property
    def _session(self) -> aiohttp.ClientSession:
        if self._session_ is None:  # created inside the running loop, on first use
            self._session_ = http_session(self._config.verify_tls, self._config.tls_cafile)
            if self._config.jwks:
                self._jwks = JWKSCache(self._config, self._session_)
        return self._session_

    async def authenticate(self, token: str, request: RequestInfo) -> Identity:
        """Validate `token`."""
        _ = self._session
        if self._jwks is None:
            return await self._introspect(token)
        claims = await self._verify_jwt(token)
        principal = claims.get("sub")
        if not isinstance(principal, str) or not principal:
            raise Unauthenticated("the token has no subject")
        ttl = min(float(self._config.cache_ttl), max(0.0, float(claims["exp"]) - time.time()))
        return Identity(User(principal, map_claims(claims, self._config.claims_mapping)), ttl)

    async def _verify_jwt(self, token: str) -> dict[str, Any]:
        assert self._jwks is not None
        if len(token) > MAX_TOKEN_BYTES:
            raise Unauthenticated("the token is too large")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("the token is not a valid JWT") from None
        alg = header.get("alg")
        if alg not in ASYMMETRIC:
            raise Unauthenticated("the token's algorithm is not accepted")
        key = await self._jwks.key(
            header.get("kid") if isinstance(header.get("kid"), str) else None
        )
        if key.algorithm_name != alg:
            raise Unauthenticated("the token's algorithm does not match its key")
        try:
            return dict(
                jwt.decode(
                    token,
                    key.key,
                    algorithms=[alg],
                    audience=self._config.audience,
                    issuer=self._config.issuer,
                    leeway=LEEWAY_SECONDS,
                    options={"require": ["exp"], "verify_iss": self._config.issuer is not None},
                )
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the token has expired", code="token_expired") from None
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"the token is invalid: {type(exc).__name__}") from None

    async def _introspect(self, token: str) -> Identity:
        cfg = self._config.introspection
        assert cfg is not None
        form = {"token": token}
        auth = None
        if cfg.send_secret_in_body:
            form |= {"client_id": cfg.client_id, "client_secret": cfg.client_secret}
        else:
            auth = aiohttp.BasicAuth(cfg.client_id, cfg.client_secret)
        try:
            async with self._session.post(cfg.url, data=form, auth=auth) as resp:
                if resp.status != 200:  # an inactive token is a 200 with active: false
                    raise IdentityProviderUnavailable(
                        f"the introspection endpoint answered {resp.status}"
                    )
                data = await resp.json(content_type=None)
        except TRANSPORT_ERRORS as exc:
            raise unavailable("the introspection endpoint", exc) from None
        if not isinstance(data, dict) or data.get("active") is not True:
            raise Unauthenticated("the token is not active")
        principal = data.get("sub") or data.get("username")
        if not principal:
            raise Unauthenticated("the introspected token has no subject")
        ttl = float(self._config.cache_ttl)
        if isinstance(data.get("exp"), int | float):
            ttl = min(ttl, max(0.0, float(data["exp"]) - time.time()))
        return Identity(User(str(principal), map_claims(data, self._config.claims_mapping)), ttl)

    async def close(self) -> None:
        """Close the session."""
        if self._session_ is not None:
            await self._session_.close()
