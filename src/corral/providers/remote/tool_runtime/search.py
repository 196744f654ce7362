"""What the web search providers share: the key lookup, one HTTP call with limits, the tool.

Each provider is a small adapter (request shape, response shape) around
`SearchClient`. The API key comes from the provider's config, else from the
request's ``X-LlamaStack-Provider-Data`` header under the provider's key
(``tavily_search_api_key``, ...), as in Llama Stack. The upstream URL is the
operator's (``base_url``), not a request's, so the outbound policy does not
apply; every call has a deadline and a response size limit, and a failure is
an `UpstreamError` whose message names the service and never the key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
import orjson
from pydantic import Field

from corral.apis.context import RequestContext
from corral.apis.tool_runtime.api import SearchHit
from corral.config.base import ConfigModel
from corral.errors import InvalidRequest, UpstreamError, UpstreamTimeout

#: Largest search API answer read (bytes).
MAX_RESPONSE_BYTES = 2_000_000

WEB_SEARCH_TOOL: dict[str, Any] = {
    "name": "web_search",
    "description": "Search the web for information",
    "input_schema": {
        "type": "object",
        "properties": {"query": {"type": "string", "description": "The query to search for"}},
        "required": ["query"],
    },
    "output_schema": None,
    "metadata": None,
}


class SearchConfig(ConfigModel):
    """Fields every web search provider has."""

    secret_fields: ClassVar[frozenset[str]] = frozenset({"api_key"})
    api_key: str | None = None
    """The service's API key; without it each request must carry one in
    `X-LlamaStack-Provider-Data`."""
    max_results: int = Field(3, ge=1, le=50)
    """Results per search when the request sets no limit."""
    timeout: float = Field(15.0, gt=0, le=300)
    """Seconds to wait for the search API."""


class SearchClient:
    """Calls one search API with a deadline and a size limit."""

    def __init__(
        self, service: str, config: SearchConfig, base_url: str, provider_data_key: str
    ) -> None:
        self.service = service
        self.config = config
        self.base_url = base_url
        self.provider_data_key = provider_data_key
        self.http = httpx.AsyncClient(timeout=config.timeout, trust_env=False)

    def api_key(self, ctx: RequestContext) -> str:
        """The config's key, else the request's provider data; a 400 when neither has one."""
        if self.config.api_key:
            return self.config.api_key
        key = ctx.provider_data.get(self.provider_data_key)
        if isinstance(key, str) and key:
            return key
        raise InvalidRequest(
            f"{self.service} needs an API key: set api_key in the provider config or pass "
            f'X-LlamaStack-Provider-Data: {{"{self.provider_data_key}": "<key>"}}',
            code="missing_api_key",
        )

    async def call(self, request: httpx.Request) -> Any:
        """Send `request`; the JSON answer, or an `UpstreamError`/`UpstreamTimeout`."""
        try:
            response = await self.http.send(request, stream=True)
            try:
                body = await _read_limited(response)
            finally:
                await response.aclose()
        except httpx.TimeoutException:
            raise UpstreamTimeout(f"{self.service} did not answer in time") from None
        except httpx.HTTPError:
            raise UpstreamError(f"cannot reach {self.service}") from None
        if response.status_code >= 400:
            raise UpstreamError(
                f"{self.service} answered HTTP {response.status_code}",
                upstream_status=response.status_code,
            )
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            raise UpstreamError(f"{self.service} answered something that is not JSON") from None

    async def close(self) -> None:
        """Close the HTTP client."""
        await self.http.aclose()


async def _read_limited(response: httpx.Response) -> bytes:
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise UpstreamError("the search API's answer is too large")
        chunks.append(chunk)
    return b"".join(chunks)


def hits(raw: list[Any], title: str, url: str, content: str, limit: int) -> list[SearchHit]:
    """Search hits from a list of result dicts, by field names; malformed entries skipped."""
    out = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get(url), str):
            continue
        score = entry.get("score")
        out.append(
            SearchHit(
                title=str(entry.get(title) or entry[url]),
                url=entry[url],
                content=str(entry.get(content) or ""),
                score=float(score) if isinstance(score, int | float) else None,
            )
        )
    return out[:limit]


@dataclass(frozen=True)
class SearchApi:
    """One search service's quirks, as data: how to ask, how to read the answer."""

    service: str
    provider_data_key: str
    build: Callable[[str, str, int, str], httpx.Request]
    """(base_url, query, limit, api_key) → the HTTP request."""
    parse: Callable[[Any, int], list[SearchHit]]
    """(JSON answer, limit) → the hits."""


class SearchToolRuntime:
    """A web search provider: one ``web_search`` tool on one search API."""

    def __init__(self, api: SearchApi, config: SearchConfig, base_url: str) -> None:
        self.api = api
        self.config = config
        self.client = SearchClient(api.service, config, base_url, api.provider_data_key)

    async def web_search(
        self, query: str, max_results: int | None, ctx: RequestContext
    ) -> list[SearchHit]:
        """The API's results for `query`."""
        limit = max_results or self.config.max_results
        request = self.api.build(self.client.base_url, query, limit, self.client.api_key(ctx))
        return self.api.parse(await self.client.call(request), limit)

    def tool_defs(self) -> list[dict[str, Any]]:
        """``web_search(query)``."""
        return [dict(WEB_SEARCH_TOOL)]

    async def shutdown(self) -> None:
        """Close the HTTP client."""
        await self.client.close()
