"""The APIs corral serves itself, without providers: conversations and prompts.

They are started before any provider (the responses provider reads and
extends conversations and renders prompts) and live in the stack's routers
like the routed APIs. Their stores come from ``storage.stores``, falling back
to the first backend of the right family, then to memory (with a warning).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from corral.core.conversations import ConversationsService
from corral.core.prompts import PromptsService
from corral.core.spec import Api

if TYPE_CHECKING:
    from corral.core.stack import Stack

CONVERSATIONS_TABLE = "openai_conversations"
PROMPTS_NAMESPACE = "prompts"


async def start_builtin_services(stack: Stack) -> dict[Api, Any]:
    """Open the conversations and prompts stores and return the two services."""
    stores = stack.run.storage.stores
    ref = stores.conversations
    sql = await stack.storage.sql_or_default(ref, CONVERSATIONS_TABLE, "conversations")
    conversations = ConversationsService(
        sql, ref.table_name if ref else CONVERSATIONS_TABLE, stack.access
    )
    await conversations.start()
    kv = await stack.storage.kv_or_default(stores.prompts, PROMPTS_NAMESPACE, "prompts")
    return {Api.conversations: conversations, Api.prompts: PromptsService(kv, stack.access)}
