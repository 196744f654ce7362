"""Config of ``remote::bing-search``."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field

from corral.providers.remote.tool_runtime.search import SearchConfig


class BingSearchConfig(SearchConfig):
    """Bing's API key and endpoint (Llama Stack's `top_k` is read as `max_results`)."""

    max_results: int = Field(3, ge=1, le=50, validation_alias=AliasChoices("max_results", "top_k"))
    """Results per search when the request sets no limit (`top_k` is accepted too)."""
    base_url: str = Field("https://api.bing.microsoft.com", pattern=r"^https?://")
    """The API's address (change it only for a proxy or a test stub)."""

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {"api_key": "${env.BING_API_KEY:=}", "top_k": 3}
