"""`BuiltinResponses`: the Responses API on corral's own inference, vector stores and safety.

Creating a response prepares it (every 4xx happens there), then runs it in
one of three ways: to the end (plain JSON), as a stream of events, or in the
background (stored as ``queued`` and answered at once; ``GET`` shows its
progress, ``cancel`` stops it). Reads go to the store, filtered by
access_policy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from corral.apis.context import RequestContext
from corral.apis.responses.api import ListQuery, ResponseEvents
from corral.apis.responses.models import CreateResponseRequest
from corral.errors import Conflict, InvalidParameter
from corral.providers.inline.responses.builtin.draft import shown
from corral.providers.inline.responses.builtin.events import framed
from corral.providers.inline.responses.builtin.prepare import Services, prepare
from corral.providers.inline.responses.builtin.session import Session
from corral.providers.inline.responses.builtin.store import UNFINISHED

log = logging.getLogger("corral.responses")


def _page(items: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": items,
        "first_id": items[0]["id"] if items else None,
        "last_id": items[-1]["id"] if items else None,
        "has_more": has_more,
    }


class BuiltinResponses:
    """`ResponsesProvider` running the agent loop in this process."""

    def __init__(self, services: Services, max_infer_iters: int, lease_seconds: float) -> None:
        self.services = services
        self.max_infer_iters = max_infer_iters
        self.lease_seconds = lease_seconds
        self._background: dict[str, tuple[Session, asyncio.Task[None]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Create the table; fail the background responses a dead server left behind."""
        await self.services.store.start()
        orphans = await self.services.store.expire_orphans()
        if orphans:
            log.warning("marked %d unfinished background response(s) as failed", orphans)

    async def create_response(
        self, request: CreateResponseRequest, ctx: RequestContext
    ) -> dict[str, Any] | ResponseEvents:
        """Run a response: plain, streamed or in the background."""
        prepared = await prepare(request, self.services, ctx, self.max_infer_iters)
        session = Session(
            prepared,
            self.services,
            self._tasks,
            background=bool(request.background),
            lease_seconds=self.lease_seconds,
            streaming=bool(request.stream),
        )
        if request.background:
            task = await session.start_background()
            response_id = session.draft.id
            self._background[response_id] = (session, task)
            task.add_done_callback(lambda _: self._background.pop(response_id, None))
            if request.stream:
                return session.follow()
            return shown(session.draft.snapshot(), session.include)
        if request.stream:
            return framed(session.lifecycle())
        return await session.run_to_end()

    async def get_response(
        self, response_id: str, ctx: RequestContext, include: Sequence[str] = ()
    ) -> dict[str, Any]:
        """A stored response."""
        row = await self.services.store.row(response_id, ctx.user)
        return shown(row["response"], tuple(include))

    async def list_responses(
        self, ctx: RequestContext, query: ListQuery, model: str | None = None
    ) -> dict[str, Any]:
        """A page of the caller's responses, each with its input items."""
        rows, has_more = await self.services.store.list(ctx.user, query, model)
        data = [{**shown(r["response"], ()), "input": r.get("input") or []} for r in rows]
        return _page(data, has_more)

    async def delete_response(self, response_id: str, ctx: RequestContext) -> dict[str, Any]:
        """Delete a stored response (a running background one is cancelled first)."""
        running = self._background.get(response_id)
        await self.services.store.delete(response_id, ctx.user)
        if running is not None:
            running[1].cancel()
        return {"id": response_id, "object": "response", "deleted": True}

    async def list_input_items(
        self,
        response_id: str,
        ctx: RequestContext,
        query: ListQuery,
        include: Sequence[str] = (),
    ) -> dict[str, Any]:
        """A page of a response's input items (newest first unless ``order=asc``)."""
        if not 1 <= query.limit <= 100:
            raise InvalidParameter("limit", "must be between 1 and 100")
        row = await self.services.store.row(response_id, ctx.user)
        items: list[dict[str, Any]] = list(row.get("input") or [])
        if query.order == "desc":
            items.reverse()
        ids = [i.get("id") for i in items]
        start, end = 0, len(items)
        if query.after is not None:
            start = _position(ids, query.after, "after") + 1
        if query.before is not None:
            end = _position(ids, query.before, "before")
        window = items[start:end]
        return _page(window[: query.limit], len(window) > query.limit)

    async def cancel_response(self, response_id: str, ctx: RequestContext) -> dict[str, Any]:
        """Cancel a background response that has not finished."""
        store = self.services.store
        row = await store.row(response_id, ctx.user, "update")
        response = dict(row["response"])
        if not response.get("background"):
            raise Conflict(
                f"response {response_id!r} was not created with background: true; only "
                "background responses can be cancelled",
                code="response_not_cancellable",
            )
        status = row["status"]
        if status == "cancelled":
            return shown(response, ())
        if status not in UNFINISHED:
            raise Conflict(
                f"response {response_id!r} has already finished ({status}); it cannot be cancelled",
                code="response_not_cancellable",
            )
        response["status"] = "cancelled"
        if not await store.finish(response, only_if=status):
            return await self.cancel_response(response_id, ctx)  # it moved on meanwhile
        running = self._background.get(response_id)
        if running is not None:
            running[1].cancel()
        return shown(response, ())

    async def shutdown(self) -> None:
        """Stop background responses (stored as failed) and wait for pending writes."""
        running = list(self._background.values())
        for session, task in running:
            session.shutting_down = True
            task.cancel()
        await asyncio.gather(*(task for _, task in running), return_exceptions=True)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.services.store.close()


def _position(ids: list[Any], item_id: str, param: str) -> int:
    try:
        return ids.index(item_id)
    except ValueError:
        message = f"item {item_id!r} is not an input item of this response"
        raise InvalidParameter(param, message) from None
