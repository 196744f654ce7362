"""``remote::brave-search``: web search with the Brave Search API (``GET /res/v1/web/search``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.remote.tool_runtime.brave_search.config import BraveSearchConfig

if TYPE_CHECKING:
    from corral.providers.remote.tool_runtime.search import SearchToolRuntime

SPEC = ProviderSpec(
    api=Api.tool_runtime,
    provider_type="remote::brave-search",
    config=BraveSearchConfig,
    description="Web search through the Brave Search API (the builtin::websearch tool group "
    "and the web_search tool of the Responses API).",
)


async def create(config: BraveSearchConfig, deps: ProviderDeps) -> SearchToolRuntime:
    """The provider."""
    from corral.providers.remote.tool_runtime.brave_search.wire import API
    from corral.providers.remote.tool_runtime.search import SearchToolRuntime

    return SearchToolRuntime(API, config, config.base_url)
