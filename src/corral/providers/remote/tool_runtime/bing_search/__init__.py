"""``remote::bing-search``: web search with the Bing Web Search API (``GET /v7.0/search``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.remote.tool_runtime.bing_search.config import BingSearchConfig

if TYPE_CHECKING:
    from corral.providers.remote.tool_runtime.search import SearchToolRuntime

SPEC = ProviderSpec(
    api=Api.tool_runtime,
    provider_type="remote::bing-search",
    config=BingSearchConfig,
    description="Web search through the Bing Web Search API (the builtin::websearch tool group "
    "and the web_search tool of the Responses API).",
)


async def create(config: BingSearchConfig, deps: ProviderDeps) -> SearchToolRuntime:
    """The provider."""
    from corral.providers.remote.tool_runtime.bing_search.wire import API
    from corral.providers.remote.tool_runtime.search import SearchToolRuntime

    return SearchToolRuntime(API, config, config.base_url)
