"""The conversations service as the stack's router (served by corral itself, no provider).

Its tables come from ``storage.stores.conversations``, else the first SQL
backend, else memory (with a warning).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.apis.spec import Api
from corral.core.conversations import ConversationsService
from corral.core.routers.spec import RouterContext, RouterSpec

if TYPE_CHECKING:
    from corral.core.resolver import ProviderInstance

TABLE = "openai_conversations"


async def _build(ctx: RouterContext, instances: list[ProviderInstance]) -> ConversationsService:
    sql, table = await ctx.storage.sql_or_default(None, "conversations", TABLE)
    service = ConversationsService(sql, table, ctx.access)
    await service.start()
    return service


CONVERSATIONS: RouterSpec[ConversationsService] = RouterSpec(Api.conversations, _build)
