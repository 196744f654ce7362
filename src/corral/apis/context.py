"""Who is calling and with what per-request provider data: passed explicitly down every call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class User:
    """An authenticated caller: a principal and attribute lists (roles, teams, ...)."""

    principal: str
    attributes: Mapping[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestContext:
    """Per-request facts every router and provider may need."""

    user: User | None = None
    #: Parsed ``X-LlamaStack-Provider-Data`` header (e.g. ``{"openai_api_key": ...}``).
    provider_data: Mapping[str, Any] = field(default_factory=dict)
    #: True once the client has closed the connection; lets long non-streamed work
    #: (an embedded model generating) stop early. None outside an HTTP request.
    is_disconnected: Callable[[], Awaitable[bool]] | None = None


ANONYMOUS = RequestContext()
