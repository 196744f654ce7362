"""Request and answer shapes of the search API behind ``remote::brave-search``."""

from __future__ import annotations

from typing import Any

import httpx

from corral.apis.tool_runtime.api import SearchHit
from corral.providers.remote.tool_runtime.search import SearchApi, hits


def _build(base_url: str, query: str, limit: int, key: str) -> httpx.Request:
    return httpx.Request(
        "GET",
        base_url.rstrip("/") + "/res/v1/web/search",
        params={"q": query, "count": limit},
        headers={"X-Subscription-Token": key, "Accept": "application/json"},
    )


def _parse(data: Any, limit: int) -> list[SearchHit]:
    web = data.get("web") if isinstance(data, dict) else None
    results = web.get("results") if isinstance(web, dict) else None
    return hits(results or [], "title", "url", "description", limit)


API = SearchApi("Brave Search", "brave_search_api_key", _build, _parse)
