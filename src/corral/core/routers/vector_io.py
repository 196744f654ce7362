"""The vector_io router: resolve the store (with its access check), call its provider.

Reading a store, its files and searching it need ``read``; attaching,
detaching and changing files or the store need ``update``; deleting the
store needs ``delete``; creating one needs ``create``. A store the caller may
not read does not exist for them (404).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.apis.context import RequestContext
from corral.apis.spec import Api
from corral.apis.vector_io.api import VectorIOProvider
from corral.apis.vector_io.chunks import (
    InsertChunksRequest,
    QueryChunksRequest,
    QueryChunksResponse,
)
from corral.apis.vector_io.models import (
    AttachFileRequest,
    Attributes,
    CreateFileBatchRequest,
    CreateVectorStoreRequest,
    FileBatchObject,
    FileContentPage,
    SearchRequest,
    SearchResultsPage,
    UpdateVectorStoreRequest,
    VectorStoreDeleted,
    VectorStoreFileDeleted,
    VectorStoreFileObject,
    VectorStoreList,
    VectorStoreObject,
)
from corral.apis.vector_io.paging import paginate
from corral.core.routers.inference import INFERENCE
from corral.core.routers.spec import RouterContext, RouterSpec, implementations
from corral.core.routing_tables.vector_stores import VectorStoresTable

if TYPE_CHECKING:
    from corral.core.resolver import ProviderInstance


class VectorIORouter:
    """Routes the OpenAI vector stores API to the provider holding each store."""

    def __init__(self, table: VectorStoresTable) -> None:
        self.table = table

    def _provider(self, store_id: str, ctx: RequestContext, action: str) -> VectorIOProvider:
        return self.table.resolve(store_id, ctx.user, action).provider

    async def create(
        self, request: CreateVectorStoreRequest, ctx: RequestContext
    ) -> VectorStoreObject:
        """``POST /v1/vector_stores``."""
        res, provider = await self.table.create(request, ctx)
        return await provider.get_vector_store(res.identifier)

    async def list(
        self,
        ctx: RequestContext,
        *,
        limit: int,
        order: str,
        after: str | None,
        before: str | None,
    ) -> VectorStoreList:
        """``GET /v1/vector_stores``: the stores the caller may read."""
        objects = []
        for routed in self.table.visible(ctx.user):
            if await routed.provider.has_vector_store(routed.resource.identifier):
                objects.append(await routed.provider.get_vector_store(routed.resource.identifier))
        return paginate(objects, lambda o: o, limit=limit, order=order, after=after, before=before)

    async def get(self, store_id: str, ctx: RequestContext) -> VectorStoreObject:
        """``GET /v1/vector_stores/{id}``."""
        return await self._provider(store_id, ctx, "read").get_vector_store(store_id)

    async def update(
        self, store_id: str, request: UpdateVectorStoreRequest, ctx: RequestContext
    ) -> VectorStoreObject:
        """``POST /v1/vector_stores/{id}``."""
        provider = self._provider(store_id, ctx, "update")
        return await provider.update_vector_store(store_id, request)

    async def delete(self, store_id: str, ctx: RequestContext) -> VectorStoreDeleted:
        """``DELETE /v1/vector_stores/{id}``."""
        provider = self._provider(store_id, ctx, "delete")
        await provider.delete_vector_store(store_id)
        await self.table.remove(store_id)
        return VectorStoreDeleted(id=store_id)

    async def attach_file(
        self, store_id: str, request: AttachFileRequest, ctx: RequestContext
    ) -> VectorStoreFileObject:
        """``POST /v1/vector_stores/{id}/files``."""
        provider = self._provider(store_id, ctx, "update")
        return await provider.attach_file(store_id, request, ctx)

    async def list_files(
        self,
        store_id: str,
        ctx: RequestContext,
        *,
        limit: int,
        order: str,
        after: str | None,
        before: str | None,
        status: str | None,
        batch_id: str | None = None,
    ) -> VectorStoreList:
        """``GET /v1/vector_stores/{id}/files`` (and a batch's files)."""
        return await self._provider(store_id, ctx, "read").list_files(
            store_id,
            limit=limit,
            order=order,
            after=after,
            before=before,
            status=status,
            batch_id=batch_id,
        )

    async def get_file(
        self, store_id: str, file_id: str, ctx: RequestContext
    ) -> VectorStoreFileObject:
        """``GET /v1/vector_stores/{id}/files/{file_id}``."""
        return await self._provider(store_id, ctx, "read").get_file(store_id, file_id)

    async def update_file(
        self, store_id: str, file_id: str, attributes: Attributes, ctx: RequestContext
    ) -> VectorStoreFileObject:
        """``POST /v1/vector_stores/{id}/files/{file_id}``."""
        provider = self._provider(store_id, ctx, "update")
        return await provider.update_file(store_id, file_id, attributes)

    async def delete_file(
        self, store_id: str, file_id: str, ctx: RequestContext
    ) -> VectorStoreFileDeleted:
        """``DELETE /v1/vector_stores/{id}/files/{file_id}``."""
        return await self._provider(store_id, ctx, "update").delete_file(store_id, file_id)

    async def file_content(
        self, store_id: str, file_id: str, ctx: RequestContext
    ) -> FileContentPage:
        """``GET /v1/vector_stores/{id}/files/{file_id}/content``."""
        return await self._provider(store_id, ctx, "read").file_content(store_id, file_id)

    async def create_file_batch(
        self, store_id: str, request: CreateFileBatchRequest, ctx: RequestContext
    ) -> FileBatchObject:
        """``POST /v1/vector_stores/{id}/file_batches``."""
        provider = self._provider(store_id, ctx, "update")
        return await provider.create_file_batch(store_id, request, ctx)

    async def get_file_batch(
        self, store_id: str, batch_id: str, ctx: RequestContext
    ) -> FileBatchObject:
        """``GET /v1/vector_stores/{id}/file_batches/{batch_id}``."""
        return await self._provider(store_id, ctx, "read").get_file_batch(store_id, batch_id)

    async def cancel_file_batch(
        self, store_id: str, batch_id: str, ctx: RequestContext
    ) -> FileBatchObject:
        """``POST /v1/vector_stores/{id}/file_batches/{batch_id}/cancel``."""
        return await self._provider(store_id, ctx, "update").cancel_file_batch(store_id, batch_id)

    async def search(
        self, store_id: str, request: SearchRequest, ctx: RequestContext
    ) -> SearchResultsPage:
        """``POST /v1/vector_stores/{id}/search``."""
        return await self._provider(store_id, ctx, "read").search(store_id, request, ctx)

    async def insert_chunks(self, request: InsertChunksRequest, ctx: RequestContext) -> None:
        """``POST /v1/vector-io/insert`` (needs ``update`` on the store)."""
        provider = self._provider(request.vector_store_id, ctx, "update")
        await provider.insert_chunks(request.vector_store_id, request)

    async def query_chunks(
        self, request: QueryChunksRequest, ctx: RequestContext
    ) -> QueryChunksResponse:
        """``POST /v1/vector-io/query`` (needs ``read``)."""
        provider = self._provider(request.vector_store_id, ctx, "read")
        return await provider.query_chunks(request.vector_store_id, request, ctx)

    async def shutdown(self) -> None:
        """Providers stop their own background work."""


async def create_vector_io_router(
    ctx: RouterContext, instances: list[ProviderInstance]
) -> VectorIORouter:
    """Build the routing table, create the config's stores and return the router."""
    run = ctx.loaded.run
    defaults = run.vector_stores
    table = VectorStoresTable(
        ctx.resources,
        implementations(instances, VectorIOProvider),
        ctx.access,
        ctx.routers.get(INFERENCE),
        defaults if not isinstance(defaults, list) else None,
    )
    await table.register_config_stores(run.all_vector_stores())
    return VectorIORouter(table)


VECTOR_IO: RouterSpec[VectorIORouter] = RouterSpec(Api.vector_io, create_vector_io_router)
