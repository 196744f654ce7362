"""Config of ``remote::brave-search``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from corral.providers.remote.tool_runtime.search import SearchConfig


class BraveSearchConfig(SearchConfig):
    """Brave's API key and endpoint."""

    base_url: str = Field("https://api.search.brave.com", pattern=r"^https?://")
    """The API's address (change it only for a proxy or a test stub)."""

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {"api_key": "${env.BRAVE_SEARCH_API_KEY:=}", "max_results": 3}
