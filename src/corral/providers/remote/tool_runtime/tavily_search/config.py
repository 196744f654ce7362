"""Config of ``remote::tavily-search``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from corral.providers.remote.tool_runtime.search import SearchConfig


class TavilySearchConfig(SearchConfig):
    """Tavily's API key and endpoint."""

    base_url: str = Field("https://api.tavily.com", pattern=r"^https?://")
    """The API's address (change it only for a proxy or a test stub)."""

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {"api_key": "${env.TAVILY_SEARCH_API_KEY:=}", "max_results": 3}
