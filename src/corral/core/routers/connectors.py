"""The connectors registry as the stack's router (served by corral itself, no provider).

Built before any provider, whatever the config, because the responses loop
uses its MCP client for ``mcp`` tools even when no connector is configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.apis.spec import Api
from corral.core.connectors import ConnectorsService
from corral.core.routers.spec import RouterContext, RouterSpec
from corral.core.tools.mcp import McpClient

if TYPE_CHECKING:
    from corral.core.resolver import ProviderInstance


async def _build(ctx: RouterContext, instances: list[ProviderInstance]) -> ConnectorsService:
    run = ctx.loaded.run
    ref = run.storage.stores.connectors
    kv = ctx.storage.kv(ref) if ref is not None else None
    service = ConnectorsService(run.enabled_connectors(), kv, ctx.access, McpClient(run.tools))
    await service.start()
    return service


CONNECTORS: RouterSpec[ConnectorsService] = RouterSpec(Api.connectors, _build)
