"""The ``web_search`` tool in the loop: searches through the tool_runtime router.

``web_search``, ``web_search_preview`` and their dated variants are one tool:
the model calls a ``web_search(query)`` function; the server searches with the
configured provider (Tavily, Brave or Bing; the ``builtin::websearch`` tool
group picks one), records a ``web_search_call`` item and shows the model the
pages with a marker each (``<|url-3|>``), which the model writes after a
sentence that uses a page; markers become ``url_citation`` annotations.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import orjson

from corral.apis.context import RequestContext
from corral.apis.tool_runtime.api import SearchHit
from corral.errors import CorralError, InvalidParameter
from corral.providers.inline.responses.builtin import events as ev
from corral.providers.inline.responses.builtin.draft import ResponseDraft, new_id
from corral.providers.inline.responses.builtin.events import Event
from corral.providers.inline.responses.builtin.messages import function_tool
from corral.providers.inline.responses.builtin.turn import ToolCall

WEB_SEARCH_FUNCTION = "web_search"
#: Characters of each page's text shown to the model.
SNIPPET_CHARS = 1500

WEB_SEARCH_TOOL = function_tool(
    WEB_SEARCH_FUNCTION,
    "Search the web and return the pages that best match a query. Use it for current events "
    "and facts you are not sure of.",
    {
        "type": "object",
        "properties": {"query": {"type": "string", "description": "What to search for."}},
        "required": ["query"],
    },
    None,
)


class WebSearchRunner:
    """Runs web_search calls for one response."""

    def __init__(self, tool_runtime: Any, ctx: RequestContext) -> None:
        self._runtime = tool_runtime
        self._ctx = ctx
        #: ``url-N`` → (url, title) of every page shown to the model (for citations).
        self.urls: dict[str, tuple[str, str]] = {}

    @classmethod
    def prepare(cls, tool_runtime: Any, ctx: RequestContext, where: str) -> WebSearchRunner:
        """A 400 before anything runs when the server has no search provider."""
        if tool_runtime is None or tool_runtime.searcher() is None:
            raise InvalidParameter(
                where,
                "web_search needs a web search provider (remote::tavily-search, "
                "remote::brave-search or remote::bing-search under providers.tool_runtime)",
            )
        return cls(tool_runtime, ctx)

    async def run(
        self, call: ToolCall, draft: ResponseDraft, messages: list[dict[str, Any]]
    ) -> AsyncGenerator[Event, None]:
        """Search, record a ``web_search_call`` item, and give the pages to the model."""
        query = _query(call.arguments)
        item: dict[str, Any] = {
            "id": new_id("ws"),
            "type": "web_search_call",
            "status": "in_progress",
            "action": {"type": "search", "query": query or "", "sources": []},
        }
        index = len(draft.output)
        draft.output.append(item)
        yield ev.item_added(index, item)
        yield ev.tool_progress("web_search_call", "in_progress", item["id"], index)
        yield ev.tool_progress("web_search_call", "searching", item["id"], index)
        if query is None:
            item["status"] = "failed"
            content = 'web_search needs JSON arguments like {"query": "what to look for"}.'
        else:
            try:
                hits = await self._runtime.web_search(query, None, self._ctx)
                item["status"] = "completed"
                item["action"]["sources"] = [{"type": "url", "url": h.url} for h in hits]
                content = self._format(query, hits)
            except CorralError as exc:
                item["status"] = "failed"
                content = f"web_search failed: {exc.message}"
        yield ev.tool_progress("web_search_call", "completed", item["id"], index)
        yield ev.item_done(index, item)
        messages.append({"role": "tool", "tool_call_id": call.call_id, "content": content})

    def _format(self, query: str, hits: list[SearchHit]) -> str:
        if not hits:
            return f'web_search found nothing for "{query}".'
        lines = [f'web_search found {len(hits)} page(s) for "{query}":', ""]
        first = ""
        for hit in hits:
            key = f"url-{len(self.urls) + 1}"
            self.urls[key] = (hit.url, hit.title)
            first = first or key
            lines.append(f"<|{key}|> {hit.title} ({hit.url})")
            lines.append(hit.content.strip()[:SNIPPET_CHARS])
            lines.append("")
        lines.append(
            f"When an answer uses a page, write its marker (for example <|{first}|>) right after "
            "the sentence that uses it, before the full stop."
        )
        return "\n".join(lines)


def _query(arguments: str) -> str | None:
    try:
        parsed = orjson.loads(arguments or "{}")
    except orjson.JSONDecodeError:
        return None
    query = parsed.get("query") if isinstance(parsed, dict) else None
    return query if isinstance(query, str) and query.strip() else None
