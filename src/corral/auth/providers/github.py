"""``github_token``: the token's GitHub user (and organizations, when mapped) is the identity."""

from __future__ import annotations

from typing import Any

import aiohttp

from corral.apis.context import User
from corral.auth.providers.base import (
    TRANSPORT_ERRORS,
    Identity,
    RequestInfo,
    http_session,
    map_claims,
    rejected_or_unavailable,
    unavailable,
)
from corral.config.auth import GitHubTokenConfig
from corral.errors import Unauthenticated


class GitHubTokenProvider:
    """Validates GitHub personal access or OAuth tokens."""

    def __init__(self, config: GitHubTokenConfig) -> None:
        self._config = config
        self._base = config.github_api_base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    async def _get(self, path: str, token: str) -> Any:
        assert self._session is not None
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
        try:
            async with self._session.get(self._base + path, headers=headers) as resp:
                if resp.status != 200:
                    raise rejected_or_unavailable(
                        resp.status, "GitHub", "GitHub rejected the token"
                    )
                return await resp.json(content_type=None)
        except TRANSPORT_ERRORS as exc:
            raise unavailable("GitHub", exc) from None

    async def authenticate(self, token: str, request: RequestInfo) -> Identity:
        """GET /user (and /user/orgs when organizations are mapped)."""
        if self._session is None:
            self._session = http_session(self._config.verify_tls, self._config.tls_cafile)
        user = await self._get("/user", token)
        login = user.get("login") if isinstance(user, dict) else None
        if not isinstance(login, str) or not login:
            raise Unauthenticated("GitHub returned no login for the token")
        claims = dict(user)
        if "organizations" in self._config.claims_mapping:
            orgs = await self._get("/user/orgs", token)
            claims["organizations"] = [
                o["login"] for o in orgs if isinstance(o, dict) and "login" in o
            ]
        return Identity(
            User(login, map_claims(claims, self._config.claims_mapping)), self._config.cache_ttl
        )

    async def close(self) -> None:
        """Close the session."""
        if self._session is not None:
            await self._session.close()
