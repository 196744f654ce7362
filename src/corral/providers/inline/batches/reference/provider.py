"""`ReferenceBatches`: the Batches API calls, and the loop that finds batches to run.

Creating a batch records it and wakes the loop; the loop (every
``poll_interval_seconds`` as well) looks for unfinished batches whose lease has
run out — new ones, ones created through another server, ones whose server
died — claims each (a compare-and-set, see `store`) while it has a free slot,
and runs it as a task. Stopping cancels the runs; each writes the lines it
finished and gives its lease up, so the next server resumes at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any

from corral.apis.batches.models import (
    UNFINISHED,
    BatchList,
    BatchObject,
    CreateBatchRequest,
)
from corral.apis.context import RequestContext
from corral.apis.files.api import FilesProvider
from corral.apis.spec import QuotaGate
from corral.core.routers.inference import InferenceRouter
from corral.errors import Conflict, CorralError, InvalidParameter
from corral.providers.inline.batches.reference.config import ReferenceBatchesConfig
from corral.providers.inline.batches.reference.runner import BatchRun, Services
from corral.providers.inline.batches.reference.store import (
    USAGE_COLUMNS,
    BatchStore,
    batch_object,
    request_hash,
)

log = logging.getLogger("corral.batches")

WINDOW_SECONDS = 24 * 3600
CANCELLABLE = ("validating", "in_progress")


class ReferenceBatches:
    """The ``inline::reference`` batches provider."""

    def __init__(
        self,
        config: ReferenceBatchesConfig,
        store: BatchStore,
        inference: InferenceRouter,
        files: FilesProvider,
        quota: QuotaGate | None,
    ) -> None:
        self.config = config
        self.store = store
        self.files = files
        self.services = Services(config, store, inference, files, quota, uuid.uuid4().hex)
        self._runs: dict[str, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Create the tables and start looking for work."""
        await self.store.start()
        self._loop = asyncio.create_task(self._look_for_work())

    # -- API ------------------------------------------------------------------------------

    async def create_batch(self, request: CreateBatchRequest, ctx: RequestContext) -> BatchObject:
        """Record the batch and wake the loop (an idempotent replay returns the first one)."""
        fields = request.model_dump(exclude={"idempotency_key"})
        if request.idempotency_key is not None:
            key = f"{ctx.user.principal if ctx.user else ''}\0{request.idempotency_key}"
            batch_id = "batch_" + request_hash({"key": key})[:24]
        else:
            batch_id = f"batch_{uuid.uuid4().hex}"
        self.store.check_create(ctx.user, batch_id)
        digest = request_hash(fields)
        if request.idempotency_key is not None:
            replay = await self._replay(batch_id, digest, ctx)
            if replay is not None:
                return replay
        await self._check_input_file(request.input_file_id, ctx)
        row = self._new_row(batch_id, request, digest, ctx)
        if not await self.store.insert(row):
            replay = await self._replay(batch_id, digest, ctx)
            assert replay is not None
            return replay
        self._wake.set()
        return batch_object(row)

    async def _replay(self, batch_id: str, digest: str, ctx: RequestContext) -> BatchObject | None:
        existing = await self.store.fetch(batch_id)
        if existing is None:
            return None
        if existing["request_hash"] != digest:
            raise Conflict(
                "this idempotency_key was used with different parameters; use a new key or "
                "repeat the original request",
                code="idempotency_key_reused",
            )
        return batch_object(await self.store.row(batch_id, ctx.user))

    async def _check_input_file(self, file_id: str, ctx: RequestContext) -> None:
        try:
            found = await self.files.get_file(file_id, ctx)
        except CorralError:
            raise InvalidParameter(
                "input_file_id", f"no file {file_id!r} (upload it with purpose 'batch')",
                code="invalid_value",
            ) from None  # fmt: skip
        if found.purpose != "batch":
            raise InvalidParameter(
                "input_file_id", f"file {file_id!r} has purpose {found.purpose!r}; a batch's "
                "input needs purpose 'batch'", code="invalid_value",
            )  # fmt: skip

    def _new_row(
        self, batch_id: str, request: CreateBatchRequest, digest: str, ctx: RequestContext
    ) -> dict[str, Any]:
        now = time.time()
        user, quota = ctx.user, ctx.quota_client
        return {
            "id": batch_id,
            "created_at": int(now),
            "created_ns": time.time_ns(),
            "status": "validating",
            "endpoint": request.endpoint,
            "input_file_id": request.input_file_id,
            "completion_window": request.completion_window,
            "metadata": request.metadata,
            "expires_at": int(now) + WINDOW_SECONDS,
            "total": 0,
            "completed": 0,
            "failed": 0,
            **dict.fromkeys(USAGE_COLUMNS, 0),
            "owner_principal": user.principal if user else None,
            "access_attributes": dict(user.attributes) if user else None,
            "quota_key": quota.key if quota else None,
            "quota_limit": quota.limit if quota else None,
            "request_hash": digest,
            "lease_owner": None,
            "lease_until": None,
            "lease_version": 0,
        }

    async def get_batch(self, batch_id: str, ctx: RequestContext) -> BatchObject:
        """One batch the caller may read."""
        return batch_object(await self.store.row(batch_id, ctx.user))

    async def list_batches(self, ctx: RequestContext, after: str | None, limit: int) -> BatchList:
        """A page of the caller's batches, newest first."""
        if not 1 <= limit <= 100:
            raise InvalidParameter("limit", "must be between 1 and 100")
        rows, has_more = await self.store.page(ctx.user, after, limit)
        data = [batch_object(r) for r in rows]
        return BatchList(
            data=data,
            first_id=data[0].id if data else None,
            last_id=data[-1].id if data else None,
            has_more=has_more,
        )

    async def cancel_batch(self, batch_id: str, ctx: RequestContext) -> BatchObject:
        """Mark the batch ``cancelling``; the server running it stops within a flush interval."""
        row = await self.store.row(batch_id, ctx.user, "update")
        while row["status"] in CANCELLABLE:
            values = {"status": "cancelling", "cancelling_at": int(time.time())}
            if await self.store.move(batch_id, row["status"], values):
                self._wake.set()  # a batch nobody runs yet is finished by whoever claims it
                break
            row = await self.store.row(batch_id, ctx.user)
        row = await self.store.row(batch_id, ctx.user)
        if row["status"] not in ("cancelling", "cancelled"):
            raise Conflict(
                f"Cannot cancel batch '{batch_id}' with status '{row['status']}'",
                code="batch_not_cancellable",
            )
        return batch_object(row)

    # -- the loop -------------------------------------------------------------------------

    async def _look_for_work(self) -> None:
        while True:
            try:
                await self._claim_some()
            except Exception:
                log.exception("batches: looking for work failed; trying again")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.config.poll_interval_seconds)

    async def _claim_some(self) -> None:
        now = time.time()
        for status in UNFINISHED:
            for row in await self.store.unfinished(status):
                if len(self._runs) >= self.config.max_concurrent_batches:
                    return
                if row["id"] in self._runs or (row.get("lease_until") or 0) >= now:
                    continue
                owner = self.services.server_id
                if await self.store.claim(row, owner, self.config.lease_seconds):
                    fresh = await self.store.fetch(row["id"])
                    if fresh is not None and fresh["status"] in UNFINISHED:
                        self._start(fresh)

    def _start(self, row: dict[str, Any]) -> None:
        task = asyncio.create_task(BatchRun(self.services, row).run())
        self._runs[row["id"]] = task

        def done(t: asyncio.Task[None]) -> None:
            self._runs.pop(row["id"], None)
            if not t.cancelled() and t.exception() is not None:
                log.error("batch %s stopped on an error", row["id"], exc_info=t.exception())
            self._wake.set()  # a slot is free

        task.add_done_callback(done)

    async def shutdown(self) -> None:
        """Stop the loop and every run (each stores what it finished and releases its lease)."""
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        runs = list(self._runs.values())
        for task in runs:
            task.cancel()
        await asyncio.gather(*runs, return_exceptions=True)
