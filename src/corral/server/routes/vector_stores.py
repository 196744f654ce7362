"""``/v1/vector_stores``: stores, their files, file batches and search (OpenAI shapes).

Handlers parse and validate the body once (a bad field is a 400 naming it),
then call the vector_io router, which checks access and picks the provider.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from corral.apis.context import RequestContext
from corral.apis.spec import Api
from corral.apis.vector_io.chunks import (
    InsertChunksRequest,
    QueryChunksRequest,
    QueryChunksResponse,
)
from corral.apis.vector_io.models import (
    AttachFileRequest,
    CreateFileBatchRequest,
    CreateVectorStoreRequest,
    FileBatchObject,
    FileContentPage,
    SearchRequest,
    SearchResultsPage,
    UpdateFileRequest,
    UpdateVectorStoreRequest,
    VectorStoreDeleted,
    VectorStoreFileDeleted,
    VectorStoreFileObject,
    VectorStoreList,
    VectorStoreObject,
)
from corral.core.routers.vector_io import VECTOR_IO, VectorIORouter
from corral.core.stack import Stack
from corral.errors import InvalidParameter
from corral.server.context import request_context
from corral.server.http import ApiRoute, json_response, parse_model, read_json

OPENAI_ALIAS = "/v1/openai/v1"
M = TypeVar("M", bound=BaseModel)

VS = "/v1/vector_stores/{vector_store_id}"
FILE = VS + "/files/{file_id}"
BATCH = VS + "/file_batches/{batch_id}"


def _list_args(request: Request) -> dict[str, Any]:
    q = request.query_params
    try:
        limit = int(q.get("limit", "20"))
    except ValueError:
        raise InvalidParameter("limit", "must be an integer") from None
    return {
        "limit": limit,
        "order": q.get("order", "desc"),
        "after": q.get("after"),
        "before": q.get("before"),
    }


def _file_list_args(request: Request) -> dict[str, Any]:
    status = request.query_params.get("filter")
    if status not in (None, "in_progress", "completed", "failed", "cancelled"):
        raise InvalidParameter("filter", "must be in_progress, completed, failed or cancelled")
    return {**_list_args(request), "status": status}


@dataclass(frozen=True)
class Call:
    """One request as the handlers see it."""

    request: Request
    router: VectorIORouter
    ctx: RequestContext
    body_limit: int

    def param(self, name: str) -> str:
        """A path parameter."""
        value: str = self.request.path_params[name]
        return value

    @property
    def store(self) -> str:
        """The ``vector_store_id`` path parameter."""
        return self.param("vector_store_id")

    async def body(self, model: type[M]) -> M:
        """The JSON body validated as `model`."""
        return parse_model(await read_json(self.request, self.body_limit), model)


async def _create(c: Call) -> Any:
    return await c.router.create(await c.body(CreateVectorStoreRequest), c.ctx)


async def _list(c: Call) -> Any:
    return await c.router.list(c.ctx, **_list_args(c.request))


async def _get(c: Call) -> Any:
    return await c.router.get(c.store, c.ctx)


async def _update(c: Call) -> Any:
    return await c.router.update(c.store, await c.body(UpdateVectorStoreRequest), c.ctx)


async def _delete(c: Call) -> Any:
    return await c.router.delete(c.store, c.ctx)


async def _attach(c: Call) -> Any:
    return await c.router.attach_file(c.store, await c.body(AttachFileRequest), c.ctx)


async def _list_files(c: Call) -> Any:
    return await c.router.list_files(c.store, c.ctx, **_file_list_args(c.request))


async def _get_file(c: Call) -> Any:
    return await c.router.get_file(c.store, c.param("file_id"), c.ctx)


async def _update_file(c: Call) -> Any:
    attributes = (await c.body(UpdateFileRequest)).attributes
    return await c.router.update_file(c.store, c.param("file_id"), attributes, c.ctx)


async def _delete_file(c: Call) -> Any:
    return await c.router.delete_file(c.store, c.param("file_id"), c.ctx)


async def _content(c: Call) -> Any:
    return await c.router.file_content(c.store, c.param("file_id"), c.ctx)


async def _create_batch(c: Call) -> Any:
    return await c.router.create_file_batch(c.store, await c.body(CreateFileBatchRequest), c.ctx)


async def _get_batch(c: Call) -> Any:
    return await c.router.get_file_batch(c.store, c.param("batch_id"), c.ctx)


async def _cancel_batch(c: Call) -> Any:
    return await c.router.cancel_file_batch(c.store, c.param("batch_id"), c.ctx)


async def _batch_files(c: Call) -> Any:
    args = _file_list_args(c.request)
    return await c.router.list_files(c.store, c.ctx, batch_id=c.param("batch_id"), **args)


async def _search(c: Call) -> Any:
    return await c.router.search(c.store, await c.body(SearchRequest), c.ctx)


async def _insert_chunks(c: Call) -> Any:
    await c.router.insert_chunks(await c.body(InsertChunksRequest), c.ctx)


async def _query_chunks(c: Call) -> Any:
    return await c.router.query_chunks(await c.body(QueryChunksRequest), c.ctx)


Handler = Callable[[Call], Awaitable[Any]]
ROUTES: list[tuple[str, str, Handler, str, type[BaseModel] | None, type[BaseModel] | None]] = [
    ("POST", "/v1/vector_stores", _create, "Create a vector store",
     CreateVectorStoreRequest, VectorStoreObject),
    ("GET", "/v1/vector_stores", _list, "List vector stores", None, VectorStoreList),
    ("GET", VS, _get, "Get a vector store", None, VectorStoreObject),
    ("POST", VS, _update, "Update a vector store", UpdateVectorStoreRequest, VectorStoreObject),
    ("DELETE", VS, _delete, "Delete a vector store", None, VectorStoreDeleted),
    ("POST", VS + "/files", _attach, "Attach a file to a vector store",
     AttachFileRequest, VectorStoreFileObject),
    ("GET", VS + "/files", _list_files, "List a vector store's files", None, VectorStoreList),
    ("GET", FILE, _get_file, "Get a vector store file", None, VectorStoreFileObject),
    ("POST", FILE, _update_file, "Update a vector store file's attributes",
     UpdateFileRequest, VectorStoreFileObject),
    ("DELETE", FILE, _delete_file, "Detach a file from a vector store",
     None, VectorStoreFileDeleted),
    ("GET", FILE + "/content", _content, "Get a vector store file's chunks",
     None, FileContentPage),
    ("POST", VS + "/file_batches", _create_batch, "Attach a batch of files",
     CreateFileBatchRequest, FileBatchObject),
    ("GET", BATCH, _get_batch, "Get a file batch", None, FileBatchObject),
    ("POST", BATCH + "/cancel", _cancel_batch, "Cancel a file batch", None, FileBatchObject),
    ("GET", BATCH + "/files", _batch_files, "List a file batch's files", None, VectorStoreList),
    ("POST", VS + "/search", _search, "Search a vector store", SearchRequest, SearchResultsPage),
    # Llama Stack's chunk-level routes (pre-embedded chunks in, chunks with scores out)
    ("POST", "/v1/vector-io/insert", _insert_chunks, "Insert embedded chunks (204)",
     InsertChunksRequest, None),
    ("POST", "/v1/vector-io/query", _query_chunks, "Query chunks with scores",
     QueryChunksRequest, QueryChunksResponse),
]  # fmt: skip


def routes(stack: Stack) -> list[ApiRoute]:
    """The vector store routes (only when a vector_io provider is configured)."""
    if not stack.serves(Api.vector_io):
        return []
    limit = stack.run.server.max_request_body_bytes

    def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            router = stack.routers.require(VECTOR_IO)
            call = Call(request, router, request_context(request), limit)
            result = await handler(call)
            return Response(status_code=204) if result is None else json_response(result)

        return run

    return [
        ApiRoute(
            method,
            path,
            endpoint(handler),
            summary,
            "vector_stores",
            request_model,
            response_model,
            aliases=(OPENAI_ALIAS + path.removeprefix("/v1"),),
        )
        for method, path, handler, summary, request_model, response_model in ROUTES
    ]
