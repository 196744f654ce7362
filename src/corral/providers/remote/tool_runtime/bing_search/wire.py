"""Request and answer shapes of the search API behind ``remote::bing-search``."""

from __future__ import annotations

from typing import Any

import httpx

from corral.apis.tool_runtime.api import SearchHit
from corral.providers.remote.tool_runtime.search import SearchApi, hits


def _build(base_url: str, query: str, limit: int, key: str) -> httpx.Request:
    return httpx.Request(
        "GET",
        base_url.rstrip("/") + "/v7.0/search",
        params={"q": query, "count": limit, "responseFilter": "Webpages"},
        headers={"Ocp-Apim-Subscription-Key": key},
    )


def _parse(data: Any, limit: int) -> list[SearchHit]:
    pages = data.get("webPages") if isinstance(data, dict) else None
    results = pages.get("value") if isinstance(pages, dict) else None
    return hits(results or [], "name", "url", "snippet", limit)


API = SearchApi("Bing Search", "bing_search_api_key", _build, _parse)
