"""The prompts service as the stack's router (served by corral itself, no provider).

Its records go to ``storage.stores.prompts``, else the first KV backend, else
memory (with a warning).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.apis.spec import Api
from corral.core.prompts import PromptsService
from corral.core.routers.spec import RouterContext, RouterSpec

if TYPE_CHECKING:
    from corral.core.resolver import ProviderInstance

NAMESPACE = "prompts"


async def _build(ctx: RouterContext, instances: list[ProviderInstance]) -> PromptsService:
    kv = await ctx.storage.kv_or_default(None, "prompts", NAMESPACE)
    return PromptsService(kv, ctx.access)


PROMPTS: RouterSpec[PromptsService] = RouterSpec(Api.prompts, _build)
