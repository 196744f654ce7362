"""``/v1/conversations``: conversations and their items (OpenAI's shapes).

Always served: conversations need no provider (their store comes from
``storage.stores.conversations``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from corral.apis.context import RequestContext
from corral.apis.conversations.api import ConversationsApi
from corral.apis.conversations.models import (
    AddItemsRequest,
    ConversationDeleted,
    ConversationItemDeleted,
    ConversationObject,
    CreateConversationRequest,
    UpdateConversationRequest,
)
from corral.apis.responses.models import ItemList
from corral.apis.spec import Api
from corral.core.routers.conversations import CONVERSATIONS
from corral.core.stack import Stack
from corral.server.context import request_context
from corral.server.http import ApiRoute, json_response, parse_model, read_json
from corral.server.routes.paging import list_query

OPENAI_ALIAS = "/v1/openai/v1"
ONE = "/v1/conversations/{conversation_id}"
ITEM = ONE + "/items/{item_id}"

Handler = Callable[[ConversationsApi, Request, RequestContext, int], Awaitable[Any]]


async def _create(api: ConversationsApi, r: Request, ctx: RequestContext, limit: int) -> Any:
    body = parse_model(await read_json(r, limit), CreateConversationRequest)
    return await api.create(body, ctx)


async def _get(api: ConversationsApi, r: Request, ctx: RequestContext, limit: int) -> Any:
    return await api.get(r.path_params["conversation_id"], ctx)


async def _update(api: ConversationsApi, r: Request, ctx: RequestContext, limit: int) -> Any:
    body = parse_model(await read_json(r, limit), UpdateConversationRequest)
    return await api.update(r.path_params["conversation_id"], body.metadata, ctx)


async def _delete(api: ConversationsApi, r: Request, ctx: RequestContext, limit: int) -> Any:
    return await api.delete(r.path_params["conversation_id"], ctx)


async def _add_items(api: ConversationsApi, r: Request, ctx: RequestContext, limit: int) -> Any:
    body = parse_model(await read_json(r, limit), AddItemsRequest)
    return await api.add_items(r.path_params["conversation_id"], body.items, ctx)


async def _list_items(api: ConversationsApi, r: Request, ctx: RequestContext, limit: int) -> Any:
    query = list_query(r, 20, before=False)
    return await api.list_items(r.path_params["conversation_id"], ctx, query)


async def _get_item(api: ConversationsApi, r: Request, ctx: RequestContext, limit: int) -> Any:
    return await api.get_item(r.path_params["conversation_id"], r.path_params["item_id"], ctx)


async def _delete_item(api: ConversationsApi, r: Request, ctx: RequestContext, limit: int) -> Any:
    return await api.delete_item(r.path_params["conversation_id"], r.path_params["item_id"], ctx)


TABLE: list[tuple[str, str, Handler, str, Any, Any]] = [
    ("POST", "/v1/conversations", _create, "Create a conversation",
     CreateConversationRequest, ConversationObject),
    ("GET", ONE, _get, "Get a conversation", None, ConversationObject),
    ("POST", ONE, _update, "Update a conversation's metadata",
     UpdateConversationRequest, ConversationObject),
    ("DELETE", ONE, _delete, "Delete a conversation", None, ConversationDeleted),
    ("POST", ONE + "/items", _add_items, "Add items to a conversation", AddItemsRequest, ItemList),
    ("GET", ONE + "/items", _list_items, "List a conversation's items", None, ItemList),
    ("GET", ITEM, _get_item, "Get a conversation item", None, None),
    ("DELETE", ITEM, _delete_item, "Delete a conversation item", None, ConversationItemDeleted),
]  # fmt: skip


def routes(stack: Stack) -> list[ApiRoute]:
    """The conversations routes."""
    if not stack.serves(Api.conversations):
        return []
    limit = stack.run.server.max_request_body_bytes

    def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            api: ConversationsApi = stack.routers.require(CONVERSATIONS)
            return json_response(await handler(api, request, request_context(request), limit))

        return run

    return [
        ApiRoute(
            method,
            path,
            endpoint(handler),
            summary,
            "conversations",
            request_model,
            response_model,
            aliases=(OPENAI_ALIAS + path.removeprefix("/v1"),),
        )
        for method, path, handler, summary, request_model, response_model in TABLE
    ]
