"""Reduce chat messages in any of the accepted shapes to `ShieldMessage` (role + text).

Accepted: OpenAI chat messages (``content`` a string or a list of parts) and
Llama Stack messages (``content`` a string, a ``{"type": "text", "text"}`` item
or a list of them; assistant ``tool_calls`` in either format). Text parts are
joined; image parts are not text and are skipped (shields here read text).
"""

from __future__ import annotations

from typing import Any

import orjson

from corral.apis.safety.api import ShieldMessage
from corral.errors import InvalidParameter


def shield_messages(raw: Any, param: str = "messages") -> tuple[ShieldMessage, ...]:
    """The messages a shield reads; a malformed list is an `InvalidParameter` naming `param`."""
    if not isinstance(raw, list) or not raw:
        raise InvalidParameter(param, "a non-empty list of messages is required")
    out = []
    for index, message in enumerate(raw):
        if not isinstance(message, dict):
            raise InvalidParameter(f"{param}[{index}]", "each message must be an object")
        role = message.get("role")
        if not isinstance(role, str) or not role:
            raise InvalidParameter(f"{param}[{index}].role", "a role (string) is required")
        text = content_text(message.get("content"), f"{param}[{index}].content")
        calls = _tool_call_text(message.get("tool_calls"))
        out.append(ShieldMessage(role, "\n".join(t for t in (text, calls) if t)))
    return tuple(out)


def content_text(content: Any, param: str) -> str:
    """The text of a message's content (string, text item, or list of items)."""
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, dict):
        return _part_text(content, param)
    if isinstance(content, list):
        return "\n".join(t for t in (_part_text(p, param) for p in content) if t)
    raise InvalidParameter(param, "must be a string, a content item or a list of content items")


def _part_text(part: Any, param: str) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        raise InvalidParameter(param, "content items must be strings or objects")
    if part.get("type", "text") == "text":
        text = part.get("text")
        if not isinstance(text, str):
            raise InvalidParameter(param, "a text content item needs a string `text`")
        return text
    return ""  # image_url / image / input_audio parts carry no text


def _tool_call_text(calls: Any) -> str:
    if not isinstance(calls, list):
        return ""
    parts = []
    for call in calls:
        if not isinstance(call, dict):
            continue
        nested = call.get("function")
        function: dict[str, Any] = nested if isinstance(nested, dict) else call
        name = function.get("name") or function.get("tool_name") or ""
        args = function.get("arguments", "")
        if not isinstance(args, str):
            args = orjson.dumps(args).decode()
        parts.append(f"{name}({args})")
    return "\n".join(parts)
