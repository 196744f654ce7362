"""What every authentication provider shares: the request facts, claims mapping, HTTP session."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp

from corral.apis.context import User


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
        """The identity behind `token`, or raise `Unauthenticated`."""
        ...

    async def close(self) -> None:
        """Release the HTTP session."""
        ...


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
