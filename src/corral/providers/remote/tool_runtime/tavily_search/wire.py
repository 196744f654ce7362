"""Request and answer shapes of the search API behind ``remote::tavily-search``."""

from __future__ import annotations

from typing import Any

import httpx

from corral.apis.tool_runtime.api import SearchHit
from corral.providers.remote.tool_runtime.search import SearchApi, hits


def _build(base_url: str, query: str, limit: int, key: str) -> httpx.Request:
    body = {"query": query, "max_results": limit, "api_key": key}
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.Request("POST", base_url.rstrip("/") + "/search", json=body, headers=headers)


def _parse(data: Any, limit: int) -> list[SearchHit]:
    results = data.get("results") if isinstance(data, dict) else None
    return hits(results or [], "title", "url", "content", limit)


API = SearchApi("Tavily", "tavily_search_api_key", _build, _parse)
