"""Tool calls on the embedded models: the prompt, the grammar, and parsing the answer.

A model whose GGUF chat template has a tool section (it uses ``tools``) gets
the request's tools through its own template. A template without one (the
bundled SmolLM2 has none) gets them described in the system message, with the
instruction to answer a call as ``<tool_call>{"name": ..., "arguments":
{...}}</tool_call>`` (the Hermes/Qwen convention many small models were tuned
on); earlier assistant tool calls and tool results are rewritten as text the
template can render.

When ``tool_choice`` forces a call (``required`` or one function) the output is
constrained by a grammar built from the tools' JSON Schemas, so it is always a
well-formed call of an offered tool. Otherwise the model decides, and its
text is parsed: ``<tool_call>`` blocks, or a whole answer that is a JSON
object with ``name`` and ``arguments`` (or ``parameters``), or a list of such
objects, become OpenAI ``tool_calls``; anything else stays text. While streaming, text that may be
the start of a call is held back until it is clearly one or clearly not.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from corral.errors import InvalidParameter

OPEN, CLOSE = "<tool_call>", "</tool_call>"
_BLOCK = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)

FALLBACK_PROMPT = (
    "You can call these tools:\n{tools}\n\nTo call a tool, answer only with\n"
    '<tool_call>\n{{"name": "<tool name>", "arguments": {{<arguments as JSON>}}}}\n'
    "</tool_call>\nCall a tool only when it helps; otherwise answer normally."
)


@dataclass(frozen=True)
class ToolPlan:
    """The request's tools and how the answer must treat them."""

    tools: list[dict[str, Any]]
    #: None: the model decides; "required": some call; else the one function's name.
    forced: str | None

    @property
    def names(self) -> list[str]:
        """The functions offered."""
        return [t["function"]["name"] for t in self.tools]


def plan(body: dict[str, Any]) -> ToolPlan | None:
    """The tool plan of a chat request (None: no tools, or ``tool_choice: none``)."""
    tools = body.get("tools")
    if not tools:
        return None
    if not isinstance(tools, list):
        raise InvalidParameter("tools", "must be a list")
    for index, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if tool.get("type") != "function" or not isinstance(function, dict):
            raise InvalidParameter(f"tools[{index}]", "only function tools are supported")
        if not isinstance(function.get("name"), str) or not function["name"]:
            raise InvalidParameter(f"tools[{index}].function.name", "is required")
    choice = body.get("tool_choice", "auto")
    if choice == "none":
        return None
    if choice in ("auto", None):
        forced = None
    elif choice == "required":
        forced = "required"
    elif isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        forced = choice["function"].get("name")
        if forced not in [t["function"]["name"] for t in tools]:
            raise InvalidParameter("tool_choice", f"no tool is named {forced!r}")
    else:
        raise InvalidParameter("tool_choice", "must be none, auto, required or a function")
    return ToolPlan(tools, forced)


def prompt_messages(
    messages: list[dict[str, Any]], tools: ToolPlan | None, native: bool
) -> list[dict[str, Any]]:
    """The messages to render.

    A native template gets them as they are. Otherwise earlier tool calls and
    results become text (a plain template cannot render ``content: null`` or
    ``tool_calls``), and the tools, when offered, are described in the system
    message.
    """
    if native:
        return messages
    out: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role == "assistant" and message.get("tool_calls"):
            out.append({"role": "assistant", "content": _calls_as_text(message)})
        else:
            out.append({**message, "content": _text(message.get("content"))})
    if tools is None:
        return out
    described = "\n".join(
        orjson.dumps(
            {
                "name": t["function"]["name"],
                "description": t["function"].get("description", ""),
                "parameters": t["function"].get("parameters") or {"type": "object"},
            }
        ).decode()
        for t in tools.tools
    )
    system = FALLBACK_PROMPT.format(tools=described)
    if out and out[0].get("role") == "system":
        out[0] = {**out[0], "content": f"{out[0]['content']}\n\n{system}"}
    else:
        out.insert(0, {"role": "system", "content": system})
    return out


def _calls_as_text(message: dict[str, Any]) -> str:
    parts = [_text(message.get("content"))] if message.get("content") else []
    for call in message["tool_calls"]:
        function = call.get("function") or {}
        try:
            arguments = orjson.loads(function.get("arguments") or "{}")
        except orjson.JSONDecodeError:
            arguments = function.get("arguments")
        payload = orjson.dumps({"name": function.get("name"), "arguments": arguments}).decode()
        parts.append(f"{OPEN}\n{payload}\n{CLOSE}")
    return "\n".join(parts)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(p.get("text", "")) for p in content if isinstance(p, dict) and "text" in p
        )
    return ""


def call_schema(tools: ToolPlan) -> dict[str, Any]:
    """The JSON Schema a forced call's output must match (the grammar is built from it)."""
    offered = [t for t in tools.tools if tools.forced in (None, "required", t["function"]["name"])]
    options = [
        {
            "type": "object",
            "properties": {
                "name": {"const": t["function"]["name"]},
                "arguments": t["function"].get("parameters") or {"type": "object"},
            },
            "required": ["name", "arguments"],
        }
        for t in offered
    ]
    return options[0] if len(options) == 1 else {"anyOf": options}


def parse(text: str, tools: ToolPlan) -> tuple[str | None, list[dict[str, Any]]]:
    """The answer's text (None when it is only calls) and its OpenAI ``tool_calls``."""
    blocks = _BLOCK.findall(text) if OPEN in text else []
    candidates = blocks or ([text.strip()] if text.strip().startswith(("{", "[{")) else [])
    calls = []
    for raw in candidates:
        try:
            found = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        # one call, or a list of them (SmolLM2's larger siblings write `[{...}, ...]`)
        for entry in found if isinstance(found, list) else [found]:
            call = _call(entry, tools)
            if call is not None:
                calls.append(call)
    if not calls:
        return text, []
    rest = _BLOCK.sub("", text).strip() if blocks else ""
    return (rest or None), calls


def _call(found: Any, tools: ToolPlan) -> dict[str, Any] | None:
    if not isinstance(found, dict) or found.get("name") not in tools.names:
        return None
    arguments = found.get("arguments", found.get("parameters", {}))
    if isinstance(arguments, str):
        encoded = arguments
    else:
        encoded = orjson.dumps(arguments if arguments is not None else {}).decode()
    return {
        "id": "call_" + uuid.uuid4().hex[:24],
        "type": "function",
        "function": {"name": found["name"], "arguments": encoded},
    }


class StreamedCalls:
    """Holds back streamed text that may be a tool call; the rest goes out as it comes."""

    def __init__(self, tools: ToolPlan) -> None:
        self.tools = tools
        self._text: list[str] = []
        self._sent = 0  # characters of the answer already sent as content
        #: Once true, everything is held: the answer is (or goes on as) a call.
        self._capturing = tools.forced is not None

    def feed(self, delta: str) -> str:
        """The text that can be sent now."""
        self._text.append(delta)
        if self._capturing:
            return ""
        whole = "".join(self._text)
        pending = whole[self._sent :]
        if not whole.strip():
            return ""
        if whole.lstrip().startswith(("{", "[{")) and self._sent == 0:
            self._capturing = True  # a bare JSON answer may be a call
            return ""
        found = pending.find(OPEN)
        if found >= 0:
            self._capturing = True
            return self._send(pending[:found])
        return self._send(pending[: len(pending) - _partial_suffix(pending)])

    def _send(self, text: str) -> str:
        self._sent += len(text)
        return text

    def finish(self) -> tuple[str, list[dict[str, Any]]]:
        """Text still to send, and the calls the whole answer made."""
        whole = "".join(self._text)
        if self._capturing:
            content, calls = parse(whole, self.tools)
            if calls:
                unsent = (content or "")[self._sent :] if content else ""
                return unsent.strip(), calls
        return whole[self._sent :], []


def _partial_suffix(text: str) -> int:
    """Length of the longest end of `text` that starts ``<tool_call>``."""
    for size in range(min(len(OPEN) - 1, len(text)), 0, -1):
        if OPEN.startswith(text[-size:]):
            return size
    return 0
