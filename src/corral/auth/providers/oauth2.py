"""``oauth2_token``: JWTs verified against a JWKS, or opaque tokens checked by introspection.

JWT checks: the header's ``alg`` must be an asymmetric algorithm (``none`` and
the HMAC family are refused, so a token signed with the public key as an HMAC
secret is never accepted), the key is chosen by ``kid`` from the JWKS and must
agree with ``alg``; signature, ``exp`` (required), ``nbf``, ``iss`` and ``aud``
are verified with 30 s of leeway. Keys are refreshed every ``key_recheck_period``
seconds, and at once on an unknown ``kid`` — at most once every 10 s, so
garbage tokens cannot make corral hammer the key server.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import jwt

from corral.apis.context import User
from corral.auth.providers.base import Identity, RequestInfo, http_session, map_claims
from corral.config.auth import OAuth2TokenConfig
from corral.errors import Unauthenticated

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
LEEWAY_SECONDS = 30
MIN_REFETCH_SECONDS = 10.0
MAX_TOKEN_BYTES = 16384


class JWKSCache:
    """Signing keys by kid, refreshed periodically and on demand (rate-limited)."""

    def __init__(self, config: OAuth2TokenConfig, session: aiohttp.ClientSession) -> None:
        assert config.jwks is not None
        self._jwks = config.jwks
        self._session = session
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> jwt.PyJWK:
        """The key for `kid` (or the only key when the token names none)."""
        if time.monotonic() - self._fetched_at > self._jwks.key_recheck_period:
            await self._refresh()
        found = self._lookup(kid)
        if found is None and time.monotonic() - self._fetched_at > MIN_REFETCH_SECONDS:
            await self._refresh()
            found = self._lookup(kid)
        if found is None:
            raise Unauthenticated("the token's signing key is unknown")
        return found

    def _lookup(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None:
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._fetched_at < 1.0:
                return
            self._fetched_at = time.monotonic()
            headers = {"Authorization": f"Bearer {self._jwks.token}"} if self._jwks.token else {}
            try:
                async with self._session.get(self._jwks.uri, headers=headers) as resp:
                    resp.raise_for_status()
                    data = await resp.json(content_type=None)
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                raise Unauthenticated(f"signing keys unavailable: {type(exc).__name__}") from None
            keys: dict[str, jwt.PyJWK] = {}
            for index, raw in enumerate(data.get("keys", []) if isinstance(data, dict) else []):
                try:
                    key = jwt.PyJWK(raw)
                except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
                    continue
                if key.algorithm_name in ASYMMETRIC:
                    keys[str(raw.get("kid", index))] = key
            self._keys = keys


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
                data = await resp.json(content_type=None) if resp.status == 200 else None
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise Unauthenticated(f"introspection unavailable: {type(exc).__name__}") from None
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
