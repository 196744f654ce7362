"""What a responses provider implements (``providers.responses``, e.g. ``inline::builtin``).

A provider runs the agent loop: it turns a `CreateResponseRequest` into chat
completions on the inference router, runs server-side tools between them, and
keeps what it produced. A streamed response is an async iterator of SSE events,
already framed (``event: ...`` and ``data: ...`` lines); the route sends them as
they come.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from corral.apis.context import RequestContext
from corral.apis.responses.models import CreateResponseRequest

ResponseEvents = AsyncIterator[bytes]
Order = Literal["asc", "desc"]


@dataclass(frozen=True)
class ListQuery:
    """Paging of a list call: cursor, page size and order."""

    after: str | None = None
    before: str | None = None
    limit: int = 20
    order: Order = "desc"


@runtime_checkable
class ResponsesProvider(Protocol):
    """The Responses API."""

    async def create_response(
        self, request: CreateResponseRequest, ctx: RequestContext
    ) -> dict[str, Any] | ResponseEvents:
        """Run the loop: the response object, or its events when ``stream`` is set."""
        ...

    async def get_response(
        self, response_id: str, ctx: RequestContext, include: Sequence[str] = ()
    ) -> dict[str, Any]:
        """A stored response (404 when absent or not the caller's)."""
        ...

    async def list_responses(
        self, ctx: RequestContext, query: ListQuery, model: str | None = None
    ) -> dict[str, Any]:
        """A page of the caller's stored responses."""
        ...

    async def delete_response(self, response_id: str, ctx: RequestContext) -> dict[str, Any]:
        """Delete a stored response."""
        ...

    async def list_input_items(
        self,
        response_id: str,
        ctx: RequestContext,
        query: ListQuery,
        include: Sequence[str] = (),
    ) -> dict[str, Any]:
        """A page of the items a response was given as input."""
        ...

    async def cancel_response(self, response_id: str, ctx: RequestContext) -> dict[str, Any]:
        """Cancel a background response that has not finished (409 otherwise)."""
        ...

    async def shutdown(self) -> None:
        """Finish or stop background work."""
        ...
