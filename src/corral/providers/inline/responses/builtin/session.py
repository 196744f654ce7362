"""Running a prepared response: its lifecycle events, what is kept, and background work.

`lifecycle` wraps the loop's output events between ``response.created`` /
``response.in_progress`` and one terminal event, and stores the response (and
appends to its conversation) before that terminal event is sent: a client
never hears of a response that a follow-up request could not find. A failure
inside the loop becomes a ``failed`` response with an ``error``, never an
exception out of the stream. A stream the client abandons stops the loop and
the model call; the response is then kept as ``cancelled``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

from corral.errors import CorralError
from corral.providers.inline.responses.builtin import events as ev
from corral.providers.inline.responses.builtin.draft import ResponseDraft, shown
from corral.providers.inline.responses.builtin.events import Event, framed
from corral.providers.inline.responses.builtin.loop import AgentLoop
from corral.providers.inline.responses.builtin.prepare import Prepared, Services

log = logging.getLogger("corral.responses")

TERMINAL_EVENT = {
    "completed": "completed",
    "incomplete": "incomplete",
    "failed": "failed",
    "cancelled": "failed",
}


@dataclass
class Session:
    """One response being run."""

    prepared: Prepared
    services: Services
    #: The provider's set of fire-and-forget tasks (kept referenced until done).
    tasks: set[asyncio.Task[None]]
    background: bool = False
    lease_seconds: float = 30.0
    #: Whether anyone reads the events (a plain response only needs the final object).
    streaming: bool = True
    #: Set by the provider when the server stops: an unfinished response then fails.
    shutting_down: bool = False
    #: The response as the client sees it, once it has ended.
    final: dict[str, Any] = field(default_factory=dict)
    _finished: bool = field(default=False, init=False)

    @property
    def draft(self) -> ResponseDraft:
        """The response being built."""
        return self.prepared.setup.draft

    @property
    def include(self) -> list[str]:
        """What the client asked to see (``include``)."""
        return list(self.draft.request.include or ())

    def loop(self) -> AgentLoop:
        """The loop, watching the stored status when running in the background."""
        cancelled = self._cancelled if self.background else None
        self.prepared.setup.emit = self.streaming
        return AgentLoop(self.prepared.setup, self.services.inference, cancelled)

    async def _cancelled(self) -> bool:
        return await self.services.store.status(self.draft.id) == "cancelled"

    async def lifecycle(self) -> AsyncGenerator[Event, None]:
        """Every event of the response, from ``created`` to its terminal event."""
        draft = self.draft
        if self.streaming:
            yield ev.response_event("created", shown(draft.snapshot(), self.include))
            yield ev.response_event("in_progress", shown(draft.snapshot(), self.include))
        try:
            async for event in self.loop().events():
                yield event
        except CorralError as exc:
            draft.fail(exc.code, exc.message)
        except Exception:
            log.exception("response %s failed", draft.id)
            draft.fail("server_error", "an internal error ended this response")
        finally:
            if draft.status == "in_progress":  # left before the loop ended
                if self.shutting_down:
                    draft.fail("server_shutdown", "the server stopped before this response ended")
                else:
                    draft.finish("cancelled")
                self._keep_later()
        try:
            final = await self.persist()
        except CorralError as exc:
            draft.fail(exc.code, f"the response could not be stored: {exc.message}")
            final = draft.snapshot()
        self._finished = True
        self.final = shown(final, self.include)
        yield ev.response_event(TERMINAL_EVENT[draft.status], self.final)

    async def persist(self) -> dict[str, Any]:
        """Store the response and extend its conversation; the stored object."""
        draft, s = self.draft, self.services
        request = draft.request
        snapshot = draft.snapshot()
        if request.store is not False:
            if self.background:
                await s.store.finish(snapshot, only_if="in_progress")
            else:
                await s.store.insert(
                    snapshot, self.prepared.input_items, self.prepared.context, request_user(self)
                )
        conversation = request.conversation_id()
        if conversation and draft.status in ("completed", "incomplete"):
            await s.conversations.append(
                conversation,
                [*self.prepared.input_items, *draft.output],
                self.prepared.setup.ctx,
            )
        return snapshot

    def _keep_later(self) -> None:
        """Store a response the client walked away from, off the dying request."""
        if self._finished or self.draft.request.store is False:
            return
        task = asyncio.get_running_loop().create_task(self._persist_quietly())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _persist_quietly(self) -> None:
        try:
            await self.persist()
        except Exception:
            log.exception("could not store abandoned response %s", self.draft.id)

    async def run_to_end(self) -> dict[str, Any]:
        """A plain (not streamed) response: run everything, return the final object."""
        async for _ in self.lifecycle():
            pass
        return self.final

    async def start_background(self) -> asyncio.Task[None]:
        """Store the response as queued and run it in a task of its own."""
        draft, s = self.draft, self.services
        draft.status = "queued"
        await s.store.insert(
            draft.snapshot(),
            self.prepared.input_items,
            self.prepared.context,
            request_user(self),
            lease_until=time.time() + self.lease_seconds,
        )
        self.frames: asyncio.Queue[bytes | None] = asyncio.Queue()
        queued = ev.response_event("queued", shown(draft.snapshot(), self.include))
        return asyncio.get_running_loop().create_task(self._background(queued))

    async def _background(self, queued: Event) -> None:
        draft, store = self.draft, self.services.store
        draft.status = "in_progress"
        if not await store.finish(draft.snapshot(), only_if="queued"):
            self.frames.put_nowait(None)
            return  # cancelled before it started
        renew = asyncio.get_running_loop().create_task(self._renew_lease())
        try:
            if self.streaming:  # framed here: events refer to items the loop goes on changing
                async for frame in framed(_prefixed(queued, self.lifecycle())):
                    self.frames.put_nowait(frame)
            else:
                async for _ in self.lifecycle():
                    pass
        finally:
            renew.cancel()
            self.frames.put_nowait(None)

    async def _renew_lease(self) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            await self.services.store.renew(self.draft.id, time.time() + self.lease_seconds)

    async def follow(self) -> AsyncGenerator[bytes, None]:
        """The framed events of a background response, for a client that streams it."""
        while (frame := await self.frames.get()) is not None:
            yield frame


async def _prefixed(first: Event, rest: AsyncGenerator[Event, None]) -> AsyncGenerator[Event, None]:
    yield first
    try:
        async for event in rest:
            yield event
    finally:
        await rest.aclose()


def request_user(session: Session) -> Any:
    """The caller the response belongs to."""
    return session.prepared.setup.ctx.user
