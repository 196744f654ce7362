"""What every authentication provider shares: the request facts, claims mapping, HTTP session."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp

from corral.apis.context import User
from corral.errors import IdentityProviderUnavailable, Unauthenticated

#: Errors of asking an identity service: it is down, slow, or answered garbage.
TRANSPORT_ERRORS = (aiohttp.ClientError, TimeoutError, ValueError)


@dataclass(frozen=True)
class RequestInfo:
    """What the custom provider forwards about the request being authenticated."""

    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Identity:
    """A validated identity and how long it may be cached (seconds)."""

    user: User
    ttl: float


class AuthProvider(Protocol):
    """Validates bearer tokens."""

    async def authenticate(self, token: str, request: RequestInfo) -> Identity:
        """The identity behind `token`.

        Raises `Unauthenticated` when the token is bad, and
        `IdentityProviderUnavailable` when it could not be judged.
        """
        ...

    async def close(self) -> None:
        """Release the HTTP session."""
        ...


def rejected_or_unavailable(status: int, service: str, rejected: str) -> Exception:
    """What a non-success answer of an identity service means for the caller.

    5xx and 429 say the service is in trouble, not that the token is bad (503);
    any other status rejects the token (401 with `rejected`).
    """
    if status >= 500 or status == 429:
        return IdentityProviderUnavailable(f"{service} answered {status}")
    return Unauthenticated(rejected)


def unavailable(service: str, exc: BaseException) -> IdentityProviderUnavailable:
    """The error for an identity service that could not be reached or answered garbage."""
    return IdentityProviderUnavailable(f"{service} unavailable: {type(exc).__name__}")


def map_claims(claims: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, list[str]]:
    """Apply ``claims_mapping`` (claim → attribute): strings and lists become attribute values."""
    attributes: dict[str, list[str]] = {}
    for claim, attribute in mapping.items():
        value = claims.get(claim)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        if isinstance(value, str) and " " in value and claim in ("scope", "scp"):
            values = value.split()
        bucket = attributes.setdefault(attribute, [])
        bucket.extend(str(v) for v in values if str(v) not in bucket)
    return attributes


def http_session(
    verify_tls: bool, cafile: str | None, timeout: float = 10.0
) -> aiohttp.ClientSession:
    """A pooled session for an identity service, its SSL context built once."""
    ssl_option: ssl.SSLContext | bool = (
        ssl.create_default_context(cafile=cafile) if verify_tls else False
    )
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=ssl_option, limit=64),
        timeout=aiohttp.ClientTimeout(total=timeout),
    )
