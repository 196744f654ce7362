"""The tool_runtime router: tool groups, their providers, and web search for the loop.

Tool groups come from the config's ``tool_groups`` (top level or under
``registered_resources``), each naming a tool_runtime provider; Llama Stack's
``builtin::websearch`` is the group the Responses API's ``web_search`` tool
uses. Without such a group, web search goes to the first provider that can
search. Tool groups are config resources: readable by everyone under the
default policy, ``tool_group::<id>`` for access_policy rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from corral.apis.context import RequestContext
from corral.apis.spec import Api
from corral.apis.tool_runtime.api import SearchHit, ToolRuntimeProvider, WebSearchProvider
from corral.auth.access_policy import AccessPolicy
from corral.core.routers.spec import RouterContext, RouterSpec, implementations
from corral.errors import InvalidRequest, NotFound

if TYPE_CHECKING:
    from corral.core.resolver import ProviderInstance

WEBSEARCH_GROUP = "builtin::websearch"


@dataclass(frozen=True)
class ToolGroup:
    """A configured tool group and the provider serving it."""

    toolgroup_id: str
    provider_id: str
    args: dict[str, Any] | None = None


class ToolRuntimeRouter:
    """Tool groups by id, and the providers behind them."""

    def __init__(
        self,
        providers: dict[str, ToolRuntimeProvider],
        groups: list[ToolGroup],
        access: AccessPolicy,
    ) -> None:
        self.providers = providers
        self.groups = {g.toolgroup_id: g for g in groups}
        self.access = access

    def _readable(self, group: ToolGroup, ctx: RequestContext) -> bool:
        return self.access.is_allowed(ctx.user, "read", f"tool_group::{group.toolgroup_id}", None)

    def list_tools(
        self, ctx: RequestContext, toolgroup_id: str | None = None
    ) -> list[dict[str, Any]]:
        """The tools of every readable group (or of one; 404 when unknown)."""
        groups = list(self.groups.values())
        if toolgroup_id is not None:
            found = self.groups.get(toolgroup_id)
            if found is None or not self._readable(found, ctx):
                raise NotFound(
                    f"Tool group '{toolgroup_id}' not found.", code="toolgroup_not_found"
                )
            groups = [found]
        out = []
        for group in groups:
            if self._readable(group, ctx):
                for tool in self.providers[group.provider_id].tool_defs():
                    out.append({**tool, "toolgroup_id": group.toolgroup_id})
        return out

    def has_group(self, toolgroup_id: str) -> bool:
        """True when the config names this tool group."""
        return toolgroup_id in self.groups

    def searcher(self) -> WebSearchProvider | None:
        """The provider of ``builtin::websearch``, else the first that can search."""
        group = self.groups.get(WEBSEARCH_GROUP)
        if group is not None:
            found = self.providers[group.provider_id]
            return found if isinstance(found, WebSearchProvider) else None
        for provider in self.providers.values():
            if isinstance(provider, WebSearchProvider):
                return provider
        return None

    async def web_search(
        self, query: str, max_results: int | None, ctx: RequestContext
    ) -> list[SearchHit]:
        """Search with the web search provider (400 when the server has none)."""
        searcher = self.searcher()
        if searcher is None:
            raise InvalidRequest("no web search provider is configured", code="no_web_search")
        return await searcher.web_search(query, max_results, ctx)

    async def shutdown(self) -> None:
        """Nothing of its own (providers stop on their own)."""


async def _build(ctx: RouterContext, instances: list[ProviderInstance]) -> ToolRuntimeRouter:
    providers = implementations(instances, ToolRuntimeProvider)
    run = ctx.loaded.run
    groups = []
    for entry in run.tool_groups + run.registered_resources.tool_groups:
        if entry.is_disabled():
            continue
        if entry.provider_id not in providers:
            continue  # its provider is one corral does not serve (the loader warned)
        groups.append(ToolGroup(entry.toolgroup_id, entry.provider_id, entry.args))
    return ToolRuntimeRouter(providers, groups, ctx.access)


TOOL_RUNTIME: RouterSpec[ToolRuntimeRouter] = RouterSpec(Api.tool_runtime, _build)
