"""Who is calling and with what per-request provider data: passed explicitly down every call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple


@dataclass(frozen=True)
class User:
    """An authenticated caller: a principal and attribute lists (roles, teams, ...)."""

    principal: str
    attributes: Mapping[str, list[str]] = field(default_factory=dict)


class QuotaClient(NamedTuple):
    """Whose quota a request counts against (the quota middleware's decision, kept for later).

    Work that runs after the request (a batch's lines) is counted against the
    same client, with the same limit. A tuple: the middleware keeps the one it
    counted with, so remembering it costs a request nothing.
    """

    key: str
    limit: int


@dataclass(frozen=True)
class RequestContext:
    """Per-request facts every router and provider may need."""

    user: User | None = None
    #: Parsed ``X-LlamaStack-Provider-Data`` header (e.g. ``{"openai_api_key": ...}``).
    provider_data: Mapping[str, Any] = field(default_factory=dict)
    #: True once the client has closed the connection; lets long non-streamed work
    #: (an embedded model generating) stop early. None outside an HTTP request.
    is_disconnected: Callable[[], Awaitable[bool]] | None = None
    #: The quota client the request was counted as (None when no quota is configured).
    quota_client: QuotaClient | None = None


ANONYMOUS = RequestContext()
