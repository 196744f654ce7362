"""``kubernetes``: ask the API server who the token belongs to (SelfSubjectReview)."""

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
from corral.config.auth import KubernetesConfig
from corral.errors import Unauthenticated

REVIEW_PATH = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
REVIEW_BODY = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}


class KubernetesProvider:
    """Validates service-account and user tokens against the Kubernetes API server."""

    def __init__(self, config: KubernetesConfig) -> None:
        self._config = config
        self._url = config.api_server_url.rstrip("/") + REVIEW_PATH
        self._session: aiohttp.ClientSession | None = None

    async def authenticate(self, token: str, request: RequestInfo) -> Identity:
        """POST a SelfSubjectReview with the caller's token."""
        if self._session is None:
            self._session = http_session(self._config.verify_tls, self._config.tls_cafile)
        headers = {"Authorization": f"Bearer {token}"}
        try:
            async with self._session.post(self._url, json=REVIEW_BODY, headers=headers) as resp:
                if resp.status not in (200, 201):
                    raise rejected_or_unavailable(
                        resp.status,
                        "the Kubernetes API server",
                        "the Kubernetes API server rejected the token",
                    )
                data: Any = await resp.json(content_type=None)
        except TRANSPORT_ERRORS as exc:
            raise unavailable("the Kubernetes API server", exc) from None
        info = ((data or {}).get("status") or {}).get("userInfo") or {}
        username = info.get("username")
        if not isinstance(username, str) or not username:
            raise Unauthenticated("the SelfSubjectReview named no user")
        attributes = map_claims(info, self._config.claims_mapping)
        return Identity(User(username, attributes), self._config.cache_ttl)

    async def close(self) -> None:
        """Close the session."""
        if self._session is not None:
            await self._session.close()
