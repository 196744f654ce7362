"""Authentication middleware: every request but the public ones needs a valid bearer token.

The validated `User` goes into ``scope["user"]`` (None on public routes) and a
hash of the token into ``scope["auth_token_hash"]``, for the quota, the
policies and ownership stamping. Validated identities are cached by token hash,
so the identity provider is called once per token per TTL, not per request,
and a cached identity keeps working while the identity provider is down. A bad
token is a 401 with a JSON body and ``WWW-Authenticate: Bearer``; a token that
could not be judged because the identity provider is down or failing is a 503
with ``Retry-After`` (never cached).
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from corral.auth.providers.base import AuthProvider, RequestInfo
from corral.auth.providers.cache import IdentityCache, token_key
from corral.errors import IdentityProviderUnavailable, InvalidRequest, Unauthenticated
from corral.server.errors import send_error

log = logging.getLogger("corral.auth")

PUBLIC_PATHS = frozenset({"/v1/health", "/v1/version"})


def bearer_token(scope: Scope) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if any.

    Two Authorization headers are refused (400): a proxy and the server could
    each believe a different one.
    """
    found: bytes | None = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            if found is not None:
                raise InvalidRequest(
                    "the request has more than one Authorization header",
                    code="duplicate_authorization",
                )
            found = value
    if found is None:
        return None
    scheme, _, token = found.decode("latin-1").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


class AuthMiddleware:
    """Checks bearer tokens with the configured provider."""

    def __init__(self, app: ASGIApp, provider: AuthProvider, public_paths: frozenset[str]) -> None:
        self.app = app
        self.provider = provider
        self.public_paths = public_paths
        self.cache = IdentityCache()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Authenticate one request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] in ("GET", "HEAD") and scope["path"] in self.public_paths:
            scope["user"] = None
            await self.app(scope, receive, send)
            return
        try:
            token = bearer_token(scope)
        except InvalidRequest as exc:
            await send_error(send, exc)
            return
        if token is None:
            await send_error(send, Unauthenticated("an Authorization: Bearer token is required"))
            return
        key = token_key(token)
        user = self.cache.get(key)
        if user is None:
            try:
                identity = await self.provider.authenticate(token, _request_info(scope))
            except (Unauthenticated, IdentityProviderUnavailable) as exc:
                await send_error(send, exc)
                return
            except Exception:
                log.exception("authentication provider failed")
                await send_error(send, Unauthenticated("the token could not be validated"))
                return
            user = identity.user
            self.cache.put(key, user, identity.ttl)
        scope["user"] = user
        scope["auth_token_hash"] = key
        await self.app(scope, receive, send)


def _request_info(scope: Scope) -> RequestInfo:
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    query = scope.get("query_string", b"").decode("latin-1")
    return RequestInfo(path=scope["path"], headers=headers, params=parse_qs(query))
