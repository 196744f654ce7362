"""``custom``: POST the token and request facts to your endpoint; it answers with attributes.

Request body (exactly as documented)::

    {"api_key": "<token>", "request": {"path": ..., "headers": {...}, "params": {...}}}

A 200 answer ``{"access_attributes": {...}, "message": ..., "principal"?: ...}``
accepts the token; anything else refuses it. Without a principal the caller is
named by a hash of the token; without attributes the token's hash is used as
its namespace (the documentation says "the token is used as a namespace"; corral
never stores raw tokens, so it stores the hash).
"""

from __future__ import annotations

import hashlib
from typing import Any

import aiohttp

from corral.apis.context import User
from corral.auth.providers.base import (
    TRANSPORT_ERRORS,
    Identity,
    RequestInfo,
    http_session,
    rejected_or_unavailable,
    unavailable,
)
from corral.config.auth import CustomAuthConfig
from corral.errors import Unauthenticated

_FORWARDED_HEADERS_SKIP = frozenset({"authorization", "cookie", "proxy-authorization"})


def token_hash(token: str) -> str:
    """A stable, non-reversible name for a token."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


class CustomAuthProvider:
    """Delegates validation to an HTTP endpoint."""

    def __init__(self, config: CustomAuthConfig) -> None:
        self._config = config
        self._session: aiohttp.ClientSession | None = None

    async def authenticate(self, token: str, request: RequestInfo) -> Identity:
        """Ask the endpoint."""
        if self._session is None:
            self._session = http_session(self._config.verify_tls, self._config.tls_cafile)
        body = {
            "api_key": token,
            "request": {
                "path": request.path,
                "headers": {
                    k: v
                    for k, v in request.headers.items()
                    if k.lower() not in _FORWARDED_HEADERS_SKIP
                },
                "params": dict(request.params),
            },
        }
        try:
            async with self._session.post(self._config.endpoint, json=body) as resp:
                if resp.status != 200:
                    raise rejected_or_unavailable(
                        resp.status,
                        "the authentication endpoint",
                        "the token was rejected by the authentication endpoint",
                    )
                data: Any = await resp.json(content_type=None)
        except TRANSPORT_ERRORS as exc:
            raise unavailable("the authentication endpoint", exc) from None
        return Identity(_user(data, token), self._config.cache_ttl)

    async def close(self) -> None:
        """Close the session."""
        if self._session is not None:
            await self._session.close()


def _user(data: Any, token: str) -> User:
    if not isinstance(data, dict):
        raise Unauthenticated("the authentication endpoint answered with an unexpected body")
    raw = data.get("access_attributes") or {}
    attributes = {
        str(k): [str(x) for x in (v if isinstance(v, list) else [v])]
        for k, v in (raw.items() if isinstance(raw, dict) else [])
    }
    hashed = token_hash(token)
    if not attributes:
        attributes = {"namespaces": [hashed]}
    principal = data.get("principal")
    return User(principal=str(principal) if principal else f"token:{hashed}", attributes=attributes)
