"""``remote::tavily-search``: web search with Tavily (``POST /search``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.remote.tool_runtime.tavily_search.config import TavilySearchConfig

if TYPE_CHECKING:
    from corral.providers.remote.tool_runtime.search import SearchToolRuntime

SPEC = ProviderSpec(
    api=Api.tool_runtime,
    provider_type="remote::tavily-search",
    config=TavilySearchConfig,
    description="Web search through the Tavily Search API (the builtin::websearch tool group "
    "and the web_search tool of the Responses API).",
)


async def create(config: TavilySearchConfig, deps: ProviderDeps) -> SearchToolRuntime:
    """The provider."""
    from corral.providers.remote.tool_runtime.search import SearchToolRuntime
    from corral.providers.remote.tool_runtime.tavily_search.wire import API

    return SearchToolRuntime(API, config, config.base_url)
