"""What the conversations service offers: the HTTP API, and history for the agent loop.

Every record is owner-stamped and checked against access_policy as
``sql_record::openai_conversations::<id>`` (items as
``sql_record::conversation_items::<id>``); another user's conversation is a 404.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from corral.apis.context import RequestContext
from corral.apis.conversations.models import CreateConversationRequest
from corral.apis.responses.api import ListQuery
from corral.apis.responses.items import Item


class ConversationsApi(Protocol):
    """Conversations and their items."""

    async def create(
        self, request: CreateConversationRequest, ctx: RequestContext
    ) -> dict[str, Any]:
        """A new conversation, with its first items."""
        ...

    async def get(self, conversation_id: str, ctx: RequestContext) -> dict[str, Any]:
        """One conversation."""
        ...

    async def update(
        self, conversation_id: str, metadata: dict[str, str], ctx: RequestContext
    ) -> dict[str, Any]:
        """Replace a conversation's metadata."""
        ...

    async def delete(self, conversation_id: str, ctx: RequestContext) -> dict[str, Any]:
        """Delete a conversation and its items."""
        ...

    async def add_items(
        self, conversation_id: str, items: Sequence[Item], ctx: RequestContext
    ) -> dict[str, Any]:
        """Append items (ids are assigned where missing); the list of added items."""
        ...

    async def list_items(
        self, conversation_id: str, ctx: RequestContext, query: ListQuery
    ) -> dict[str, Any]:
        """A page of items."""
        ...

    async def get_item(
        self, conversation_id: str, item_id: str, ctx: RequestContext
    ) -> dict[str, Any]:
        """One item."""
        ...

    async def delete_item(
        self, conversation_id: str, item_id: str, ctx: RequestContext
    ) -> dict[str, Any]:
        """Delete one item."""
        ...

    async def history(self, conversation_id: str, ctx: RequestContext) -> list[dict[str, Any]]:
        """Every item in order, for the agent loop (404 when not the caller's)."""
        ...

    async def append(
        self, conversation_id: str, items: Sequence[dict[str, Any]], ctx: RequestContext
    ) -> None:
        """Append items a response produced (already carrying ids)."""
        ...
