"""Items → chat messages: how the loop speaks chat completions to any provider.

Every inference provider corral has speaks OpenAI chat completions, so the
Responses API is translated, not re-implemented per provider:

- messages keep their role (``developer`` becomes ``system``, which every chat
  template knows); text parts are joined into one string unless the message
  carries images, which stay as ``image_url`` parts;
- consecutive ``function_call`` items become one assistant turn with
  ``tool_calls``, each ``function_call_output`` a ``tool`` message;
- a ``file_search_call`` becomes the call the model made and the results it
  read, so a follow-up turn sees the same thing the model saw;
- an ``mcp_call`` becomes the call and its output (or error); listings and
  approval requests/answers are records for the client, not replayed;
- reasoning items are kept in the record but not replayed (chat APIs take none).

Files given as ``input_file`` parts have already been replaced by their text
(`corral.providers.inline.responses.builtin.files`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import orjson

from corral.apis.vector_io.settings import VectorStoreSettings
from corral.providers.inline.responses.builtin.citations import format_results

FILE_SEARCH_FUNCTION = "file_search"


def chat_messages(
    system: str | None,
    items: Iterable[dict[str, Any]],
    settings: VectorStoreSettings | None = None,
) -> list[dict[str, Any]]:
    """The chat messages for a system text and a list of stored items."""
    settings = settings or VectorStoreSettings()
    out: list[dict[str, Any]] = []
    if system:
        out.append({"role": "system", "content": system})
    for item in items:
        kind = item.get("type")
        if kind == "message":
            out.append(_message(item))
        elif kind == "function_call":
            _add_call(out, item["call_id"], item["name"], item["arguments"])
        elif kind == "function_call_output":
            out.append(
                {"role": "tool", "tool_call_id": item["call_id"], "content": _text(item["output"])}
            )
        elif kind == "file_search_call":
            query = (item.get("queries") or [""])[0]
            _add_call(
                out, item["id"], FILE_SEARCH_FUNCTION, orjson.dumps({"query": query}).decode()
            )
            results = item.get("results")
            content = (
                format_results(query, results, settings.prompts, settings.max_tokens_in_context)
                if results is not None
                else "(no results)"
            )
            out.append({"role": "tool", "tool_call_id": item["id"], "content": content})
        elif kind == "web_search_call":
            action = item.get("action") or {}
            query = str(action.get("query") or "")
            _add_call(out, item["id"], "web_search", orjson.dumps({"query": query}).decode())
            urls = [s.get("url") for s in action.get("sources") or () if isinstance(s, dict)]
            content = "web_search found: " + (", ".join(u for u in urls if u) or "nothing")
            out.append({"role": "tool", "tool_call_id": item["id"], "content": content})
        elif kind == "mcp_call":
            _add_call(out, item["id"], chat_function_name(item["name"]), item.get("arguments", ""))
            error = item.get("error")
            content = f"Error: {error}" if error else _text(item.get("output") or "")
            out.append({"role": "tool", "tool_call_id": item["id"], "content": content})
    return out


def chat_function_name(name: str) -> str:
    """An MCP tool name as a chat function name (``[A-Za-z0-9_-]``, at most 64)."""
    return re.sub(r"[^A-Za-z0-9_\-]", "_", name)[:64] or "tool"


def _add_call(out: list[dict[str, Any]], call_id: str, name: str, arguments: str) -> None:
    """Append a tool call to the assistant turn being built (or start one)."""
    call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
    last = out[-1] if out else None
    if last is not None and last["role"] == "assistant":
        # Text and calls of one model turn are separate items; chat wants one message.
        last.setdefault("tool_calls", []).append(call)
    else:
        out.append({"role": "assistant", "content": None, "tool_calls": [call]})


def _message(item: dict[str, Any]) -> dict[str, Any]:
    role = item["role"]
    role = "system" if role == "developer" else role
    content = item["content"]
    if isinstance(content, str):
        return {"role": role, "content": content}
    images = [p for p in content if p.get("type") == "input_image"]
    if not images or role != "user":
        return {"role": role, "content": _text(content)}
    parts: list[dict[str, Any]] = []
    for part in content:
        if part.get("type") == "input_image":
            url = {"url": part.get("image_url") or "", "detail": part.get("detail", "auto")}
            parts.append({"type": "image_url", "image_url": url})
        elif (text := _part_text(part)) is not None:
            parts.append({"type": "text", "text": text})
    return {"role": role, "content": parts}


def _part_text(part: dict[str, Any]) -> str | None:
    kind = part.get("type")
    if kind in ("input_text", "output_text", "text"):
        text = part.get("text")
        return text if isinstance(text, str) else ""
    if kind == "refusal":
        refusal = part.get("refusal")
        return refusal if isinstance(refusal, str) else ""
    return None


def _text(content: Any) -> str:
    """The text of a string or of a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(t for p in content if isinstance(p, dict) and (t := _part_text(p)))
    return ""


def function_tool(
    name: str, description: str | None, parameters: Any, strict: Any
) -> dict[str, Any]:
    """A chat ``tools`` entry."""
    function: dict[str, Any] = {"name": name}
    if description is not None:
        function["description"] = description
    function["parameters"] = parameters or {"type": "object", "properties": {}}
    if strict is not None:
        function["strict"] = strict
    return {"type": "function", "function": function}


FILE_SEARCH_TOOL = function_tool(
    FILE_SEARCH_FUNCTION,
    "Search the files the user made available and return the passages that best match a "
    "query. Use it before answering questions about those files.",
    {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "What to look for, in a few words."}
        },
        "required": ["query"],
    },
    None,
)
