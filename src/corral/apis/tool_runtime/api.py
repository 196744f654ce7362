"""What a tool_runtime provider implements.

A provider serves one or more tool groups (Llama Stack's ``builtin::websearch``
for the search providers). `SearchHit` is what a web search returns to the
responses loop, which turns hits into ``url_citation`` annotations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from corral.apis.context import RequestContext


@dataclass(frozen=True)
class SearchHit:
    """One web search result."""

    title: str
    url: str
    content: str
    score: float | None = None


@runtime_checkable
class ToolRuntimeProvider(Protocol):
    """A provider of server-side tools."""

    def tool_defs(self) -> list[dict[str, Any]]:
        """Its tools as Llama Stack ``ToolDef``s (without ``toolgroup_id``)."""
        ...


@runtime_checkable
class WebSearchProvider(Protocol):
    """A provider that can search the web."""

    async def web_search(
        self, query: str, max_results: int | None, ctx: RequestContext
    ) -> list[SearchHit]:
        """The results for `query` (at most `max_results`, else the provider's default)."""
        ...
