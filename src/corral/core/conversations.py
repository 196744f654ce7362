"""The conversations service: conversations and their ordered items in two SQL tables.

``<table>`` (``openai_conversations`` by default) holds one row per
conversation; ``conversation_items`` on the same backend holds the items, each
with a sequence number that orders them (nanosecond clock plus position, so
items appended by one call keep their order and calls from several replicas
interleave by time). Both are owner-stamped: a conversation is checked as
``sql_record::<table>::<id>``, its items as ``sql_record::conversation_items::<id>``
with the conversation's owner. Another user's conversation is a 404.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from typing import Any

from corral.apis.context import RequestContext, User
from corral.apis.conversations.models import CreateConversationRequest
from corral.apis.resources import Owner
from corral.apis.responses.api import ListQuery
from corral.apis.responses.items import Item
from corral.apis.storage import Column, SqlStore
from corral.auth.access_policy import AccessPolicy
from corral.errors import Forbidden, InvalidParameter, NotFound

ITEMS_TABLE = "conversation_items"
ID_PREFIXES = {
    "message": "msg_",
    "function_call": "fc_",
    "function_call_output": "fco_",
    "file_search_call": "fs_",
    "reasoning": "rs_",
    "web_search_call": "ws_",
    "mcp_list_tools": "mcpl_",
    "mcp_call": "mcp_",
    "mcp_approval_request": "mcpr_",
    "mcp_approval_response": "mcpa_",
}

CONVERSATION_COLUMNS = [
    Column("id", "string", primary_key=True),
    Column("created_at", "integer", index=True),
    Column("metadata", "json"),
    Column("owner_principal", "string", index=True),
    Column("access_attributes", "json"),
]
ITEM_COLUMNS = [
    Column("id", "string", primary_key=True),
    Column("conversation_id", "string", index=True),
    Column("seq", "integer", index=True),
    Column("created_at", "integer"),
    Column("item", "json"),
]


def new_conversation_id() -> str:
    """``conv_`` and 48 hex digits."""
    return "conv_" + secrets.token_hex(24)


def check_conversation_id(conversation_id: str, param: str = "conversation_id") -> None:
    """400 for an id that cannot be a conversation's (they start with ``conv_``)."""
    if not conversation_id.startswith("conv_"):
        raise InvalidParameter(
            param, f"{conversation_id!r} is not a conversation id (they start with 'conv_')"
        )


def new_item_id(item_type: str) -> str:
    """An OpenAI-style item id: a prefix for the type, then 48 hex digits."""
    return ID_PREFIXES.get(item_type, "item_") + secrets.token_hex(24)


def stored_item(item: Item) -> dict[str, Any]:
    """An item as stored and returned: an id, a status, and no unset fields."""
    data = item.model_dump(mode="json", exclude_none=True, by_alias=True)
    data.setdefault("id", new_item_id(data["type"]))
    if data["type"] in ("message", "function_call", "function_call_output"):
        data.setdefault("status", "completed")
    if data["type"] == "message" and isinstance(data.get("content"), str):
        part = "output_text" if data["role"] == "assistant" else "input_text"
        extra: dict[str, Any] = {"annotations": []} if part == "output_text" else {}
        data["content"] = [{"type": part, "text": data["content"], **extra}]
    return data


def _owner(row: dict[str, Any]) -> Owner | None:
    if not row.get("owner_principal"):
        return None
    return Owner(principal=row["owner_principal"], attributes=row.get("access_attributes") or {})


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "object": "conversation",
        "created_at": row["created_at"],
        "metadata": row.get("metadata") or {},
    }


def _page(items: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": items,
        "first_id": items[0]["id"] if items else None,
        "last_id": items[-1]["id"] if items else None,
        "has_more": has_more,
    }


class ConversationsService:
    """`ConversationsApi` on a SQL store."""

    def __init__(self, store: SqlStore, table: str, access: AccessPolicy) -> None:
        self._store = store
        self._table = table
        self._access = access

    async def start(self) -> None:
        """Create both tables."""
        await self._store.create_table(self._table, CONVERSATION_COLUMNS)
        await self._store.create_table(ITEMS_TABLE, ITEM_COLUMNS)

    def _policy_id(self, conversation_id: str) -> str:
        return f"sql_record::{self._table}::{conversation_id}"

    async def _conversation(
        self, conversation_id: str, user: User | None, action: str = "read"
    ) -> dict[str, Any]:
        check_conversation_id(conversation_id)
        row = await self._store.fetch_one(self._table, {"id": conversation_id})
        policy_id = self._policy_id(conversation_id)
        if row is None or not self._access.is_allowed(user, "read", policy_id, _owner(row)):
            raise NotFound(
                f"Conversation '{conversation_id}' not found.", code="conversation_not_found"
            )
        if action != "read" and not self._access.is_allowed(user, action, policy_id, _owner(row)):
            raise Forbidden(f"you may not {action} conversation {conversation_id!r}")
        return row

    def _check_items(
        self, user: User | None, action: str, conv: dict[str, Any], ids: list[str]
    ) -> None:
        for item_id in ids or ["*"]:
            policy_id = f"sql_record::{ITEMS_TABLE}::{item_id}"
            if not self._access.is_allowed(user, action, policy_id, _owner(conv)):
                raise Forbidden(f"you may not {action} items of conversation {conv['id']!r}")

    async def create(
        self, request: CreateConversationRequest, ctx: RequestContext
    ) -> dict[str, Any]:
        """A new conversation (and its first items)."""
        user = ctx.user
        conversation_id = new_conversation_id()
        owner = Owner(principal=user.principal, attributes=dict(user.attributes)) if user else None
        if not self._access.is_allowed(user, "create", self._policy_id(conversation_id), owner):
            raise Forbidden("you may not create conversations")
        row = {
            "id": conversation_id,
            "created_at": int(time.time()),
            "metadata": request.metadata or {},
            "owner_principal": user.principal if user else None,
            "access_attributes": dict(user.attributes) if user else None,
        }
        await self._store.insert(self._table, row)
        if request.items:
            await self._insert_items(conversation_id, [stored_item(i) for i in request.items])
        return _public(row)

    async def get(self, conversation_id: str, ctx: RequestContext) -> dict[str, Any]:
        """One conversation."""
        return _public(await self._conversation(conversation_id, ctx.user))

    async def update(
        self, conversation_id: str, metadata: dict[str, str], ctx: RequestContext
    ) -> dict[str, Any]:
        """Replace the metadata."""
        row = await self._conversation(conversation_id, ctx.user, "update")
        await self._store.update(self._table, {"metadata": metadata}, {"id": conversation_id})
        return _public({**row, "metadata": metadata})

    async def delete(self, conversation_id: str, ctx: RequestContext) -> dict[str, Any]:
        """Delete the conversation and its items."""
        await self._conversation(conversation_id, ctx.user, "delete")
        await self._store.delete(ITEMS_TABLE, {"conversation_id": conversation_id})
        await self._store.delete(self._table, {"id": conversation_id})
        return {"id": conversation_id, "object": "conversation.deleted", "deleted": True}

    async def add_items(
        self, conversation_id: str, items: Sequence[Item], ctx: RequestContext
    ) -> dict[str, Any]:
        """Append client items; the page of what was added."""
        conv = await self._conversation(conversation_id, ctx.user)
        stored = [stored_item(i) for i in items]
        self._check_items(ctx.user, "create", conv, [s["id"] for s in stored])
        await self._insert_items(conversation_id, stored)
        return _page(stored, False)

    async def _insert_items(self, conversation_id: str, items: Sequence[dict[str, Any]]) -> None:
        base, now = time.time_ns(), int(time.time())
        rows = [
            {
                "id": item["id"],
                "conversation_id": conversation_id,
                "seq": base + index,
                "created_at": now,
                "item": item,
            }
            for index, item in enumerate(items)
        ]
        await self._store.insert_many(ITEMS_TABLE, rows, key=["id"])

    async def list_items(
        self, conversation_id: str, ctx: RequestContext, query: ListQuery
    ) -> dict[str, Any]:
        """A page of items, newest first unless ``order=asc``."""
        conv = await self._conversation(conversation_id, ctx.user)
        self._check_items(ctx.user, "read", conv, [])
        if not 1 <= query.limit <= 100:
            raise InvalidParameter("limit", "must be between 1 and 100")
        if query.after is not None:
            await self._item_row(conversation_id, query.after, "after")
        page = await self._store.fetch_page(
            ITEMS_TABLE,
            {"conversation_id": conversation_id},
            order_by="seq",
            descending=query.order == "desc",
            limit=query.limit,
            after=query.after,
        )
        return _page([r["item"] for r in page.rows], page.has_more)

    async def _item_row(self, conversation_id: str, item_id: str, param: str) -> dict[str, Any]:
        row = await self._store.fetch_one(
            ITEMS_TABLE, {"id": item_id, "conversation_id": conversation_id}
        )
        if row is None:
            raise NotFound(
                f"Conversation item '{item_id}' not found in conversation '{conversation_id}'.",
                code="item_not_found",
                param=param,
            )
        return row

    async def get_item(
        self, conversation_id: str, item_id: str, ctx: RequestContext
    ) -> dict[str, Any]:
        """One item."""
        conv = await self._conversation(conversation_id, ctx.user)
        row = await self._item_row(conversation_id, item_id, "item_id")
        self._check_items(ctx.user, "read", conv, [item_id])
        item: dict[str, Any] = row["item"]
        return item

    async def delete_item(
        self, conversation_id: str, item_id: str, ctx: RequestContext
    ) -> dict[str, Any]:
        """Delete one item."""
        conv = await self._conversation(conversation_id, ctx.user)
        await self._item_row(conversation_id, item_id, "item_id")
        self._check_items(ctx.user, "delete", conv, [item_id])
        await self._store.delete(ITEMS_TABLE, {"id": item_id})
        return {"id": item_id, "object": "conversation.item.deleted", "deleted": True}

    async def history(self, conversation_id: str, ctx: RequestContext) -> list[dict[str, Any]]:
        """Every item, oldest first."""
        conv = await self._conversation(conversation_id, ctx.user)
        self._check_items(ctx.user, "read", conv, [])
        out: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            page = await self._store.fetch_page(
                ITEMS_TABLE,
                {"conversation_id": conversation_id},
                order_by="seq",
                descending=False,
                limit=500,
                after=after,
            )
            out += [r["item"] for r in page.rows]
            if not page.has_more or not page.rows:
                return out
            after = page.rows[-1]["id"]

    async def append(
        self, conversation_id: str, items: Sequence[dict[str, Any]], ctx: RequestContext
    ) -> None:
        """Append a response's input and output items."""
        conv = await self._conversation(conversation_id, ctx.user)
        self._check_items(ctx.user, "create", conv, [i["id"] for i in items])
        await self._insert_items(conversation_id, items)

    async def shutdown(self) -> None:
        """Nothing to release: the stores belong to the storage manager."""
