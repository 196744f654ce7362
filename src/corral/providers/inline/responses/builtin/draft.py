"""`ResponseDraft`: the response being built, and its rendering as OpenAI's object.

Every field of the response object is always present, with OpenAI's defaults
where the request left one out (``temperature: 1.0``, ``truncation:
"disabled"``, ...): clients and the OpenResponses schema require them, and
Llama Stack's omissions are why its objects fail that schema. The parts taken
from the request are rendered once, when the draft is made; a snapshot adds
only what changes while the loop runs.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from corral.apis.responses.models import (
    CreateResponseRequest,
    FileSearchTool,
    FunctionTool,
    TextFormatJsonSchema,
)

RESULTS_INCLUDE = "file_search_call.results"


def new_id(prefix: str) -> str:
    """An id in OpenAI's style: a prefix and 48 hex digits."""
    return f"{prefix}_{secrets.token_hex(24)}"


@dataclass
class Usage:
    """Tokens summed over every model call of the loop."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0

    def add(self, usage: dict[str, Any] | None) -> None:
        """Add one chat completion's ``usage``."""
        if not isinstance(usage, dict):
            return
        self.input_tokens += int(usage.get("prompt_tokens") or 0)
        self.output_tokens += int(usage.get("completion_tokens") or 0)
        cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
        reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens")
        self.cached_tokens += int(cached or 0)
        self.reasoning_tokens += int(reasoning or 0)

    def render(self) -> dict[str, Any]:
        """The response object's ``usage``."""
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "total_tokens": self.input_tokens + self.output_tokens,
            "input_tokens_details": {"cached_tokens": self.cached_tokens},
            "output_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
        }


def render_tool(tool: Any) -> dict[str, Any]:
    """A request tool as the response object lists it (every field present)."""
    if isinstance(tool, FunctionTool):
        return {
            "type": "function",
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
            "strict": tool.strict if tool.strict is not None else True,
        }
    if isinstance(tool, FileSearchTool):
        ranking = tool.ranking_options
        return {
            "type": "file_search",
            "vector_store_ids": tool.vector_store_ids,
            "filters": tool.filters,
            "max_num_results": tool.max_num_results or 10,
            "ranking_options": {
                "ranker": (ranking.ranker if ranking else None) or "auto",
                "score_threshold": (ranking.score_threshold if ranking else None) or 0.0,
            },
        }
    rendered: dict[str, Any] = tool.model_dump(mode="json", exclude_none=True)
    rendered.pop("authorization", None)  # a credential is never echoed back (nor stored)
    if rendered.get("headers"):  # header values may be credentials too: names only
        rendered["headers"] = dict.fromkeys(rendered["headers"], "<redacted>")
    return rendered


def render_text(request: CreateResponseRequest) -> dict[str, Any]:
    """``text``: the output format, ``{"format": {"type": "text"}}`` by default."""
    fmt = request.text.format if request.text else None
    if isinstance(fmt, TextFormatJsonSchema):
        rendered: dict[str, Any] = {
            "type": "json_schema",
            "name": fmt.name,
            "schema": fmt.schema_,
            "description": fmt.description,
            "strict": bool(fmt.strict),
        }
    elif fmt is not None:
        rendered = {"type": fmt.type}
    else:
        rendered = {"type": "text"}
    out: dict[str, Any] = {"format": rendered}
    if request.text and request.text.verbosity:
        out["verbosity"] = request.text.verbosity
    return out


def _tool_choice(request: CreateResponseRequest) -> Any:
    choice = request.tool_choice
    if choice is None:
        return "auto"
    if isinstance(choice, str):
        return choice
    return choice.model_dump(mode="json", exclude_none=True)


def _fixed_fields(
    request: CreateResponseRequest, model: str, instructions: str | None
) -> dict[str, Any]:
    """The parts of the response object that come from the request."""
    return {
        "model": model,
        "instructions": instructions,
        "previous_response_id": request.previous_response_id,
        "tools": [render_tool(t) for t in request.tools or ()],
        "tool_choice": _tool_choice(request),
        "parallel_tool_calls": request.parallel_tool_calls is not False,
        "max_tool_calls": request.max_tool_calls,
        "max_output_tokens": request.max_output_tokens,
        "temperature": request.temperature if request.temperature is not None else 1.0,
        "top_p": request.top_p if request.top_p is not None else 1.0,
        "presence_penalty": request.presence_penalty or 0.0,
        "frequency_penalty": request.frequency_penalty or 0.0,
        "top_logprobs": request.top_logprobs or 0,
        "text": render_text(request),
        "reasoning": request.reasoning.model_dump(mode="json") if request.reasoning else None,
        "truncation": request.truncation or "disabled",
        "store": request.store is not False,
        "background": bool(request.background),
        "service_tier": request.service_tier or "default",
        "metadata": request.metadata or {},
        "safety_identifier": request.safety_identifier,
        "prompt_cache_key": request.prompt_cache_key,
    }


@dataclass
class ResponseDraft:
    """A response while the loop builds it."""

    request: CreateResponseRequest
    model: str
    instructions: str | None
    prompt: dict[str, Any] | None = None
    id: str = field(default_factory=lambda: new_id("resp"))
    created_at: int = field(default_factory=lambda: int(time.time()))
    status: str = "in_progress"
    output: list[dict[str, Any]] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    error: dict[str, str] | None = None
    incomplete_reason: str | None = None
    completed_at: int | None = None
    fixed: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.fixed = _fixed_fields(self.request, self.model, self.instructions)
        conversation = self.request.conversation_id()
        if conversation is not None:
            self.fixed["conversation"] = {"id": conversation}
        if self.prompt is not None:
            self.fixed["prompt"] = self.prompt
        if self.request.user is not None:
            self.fixed["user"] = self.request.user

    def finish(self, status: str, *, reason: str | None = None) -> None:
        """Set the final status (``completed``, ``incomplete``, ``failed``, ``cancelled``)."""
        self.status = status
        self.incomplete_reason = reason
        self.completed_at = int(time.time()) if status == "completed" else None

    def fail(self, code: str, message: str) -> None:
        """End as failed with an error."""
        self.finish("failed")
        self.error = {"code": code, "message": message}

    def snapshot(self) -> dict[str, Any]:
        """The full response object as it stands (file_search results included)."""
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "completed_at": self.completed_at,
            "status": self.status,
            "error": self.error,
            "incomplete_details": (
                {"reason": self.incomplete_reason} if self.incomplete_reason else None
            ),
            "output": self.output,
            "usage": self.usage.render(),
            **self.fixed,
        }


def shown(response: dict[str, Any], include: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The response as a client sees it: file_search results only when asked for."""
    if RESULTS_INCLUDE in include or not any(
        i.get("type") == "file_search_call" for i in response["output"]
    ):
        return response
    output = [
        {**i, "results": None} if i.get("type") == "file_search_call" else i
        for i in response["output"]
    ]
    return {**response, "output": output}
