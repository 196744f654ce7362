"""What a batches provider implements (``providers.batches``, e.g. ``inline::reference``).

A batch runs in the background, on whichever server holds its lease: the
calls below only record and read state, so they answer at once. Every read
and change is checked against access_policy as a ``sql_record`` owned by the
batch's creator.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from corral.apis.batches.models import BatchList, BatchObject, CreateBatchRequest
from corral.apis.context import RequestContext


@runtime_checkable
class BatchesProvider(Protocol):
    """The OpenAI Batches API."""

    async def create_batch(self, request: CreateBatchRequest, ctx: RequestContext) -> BatchObject:
        """Record a batch (status ``validating``) and start it; an idempotent replay returns it."""
        ...

    async def get_batch(self, batch_id: str, ctx: RequestContext) -> BatchObject:
        """One batch (404 when absent or not the caller's)."""
        ...

    async def list_batches(self, ctx: RequestContext, after: str | None, limit: int) -> BatchList:
        """A page of the caller's batches, newest first."""
        ...

    async def cancel_batch(self, batch_id: str, ctx: RequestContext) -> BatchObject:
        """Stop the remaining lines (409 once the batch has finished)."""
        ...

    async def shutdown(self) -> None:
        """Stop running batches, keeping what they finished; their leases are released."""
        ...
