"""From a `CreateResponseRequest` to a ready loop: every check that can fail with a 4xx.

Everything a client can get wrong is found here, before a response exists or
a stream starts: an unknown model, ``previous_response_id``, conversation,
prompt, vector store or guardrail is a 404/400 with the usual JSON body. What
the model will see is assembled here too: the prompt template and
``instructions`` as the system message, then the earlier items (the
``previous_response_id`` chain, or the conversation), then this request's
input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from corral.apis.context import RequestContext
from corral.apis.responses.models import (
    CreateResponseRequest,
    TextFormatJsonObject,
    TextFormatJsonSchema,
)
from corral.core.conversations import check_conversation_id, new_item_id, stored_item
from corral.errors import InvalidParameter, NotFound, ServiceUnavailable
from corral.providers.inline.responses.builtin.draft import ResponseDraft
from corral.providers.inline.responses.builtin.files import inline_files, needs_files
from corral.providers.inline.responses.builtin.loop import Guardrails, LoopSetup
from corral.providers.inline.responses.builtin.mcp import McpTools, approval_answers
from corral.providers.inline.responses.builtin.messages import chat_messages
from corral.providers.inline.responses.builtin.store import ResponsesStore
from corral.providers.inline.responses.builtin.tools import (
    FileSearchRunner,
    build_tools,
    known_files,
)
from corral.providers.inline.responses.builtin.web_search import WebSearchRunner

LOGPROBS_INCLUDE = "message.output_text.logprobs"


@dataclass
class Services:
    """The routers and services the provider was given."""

    inference: Any
    store: ResponsesStore
    conversations: Any = None
    prompts: Any = None
    vector_io: Any = None
    safety: Any = None
    files: Any = None
    connectors: Any = None
    tool_runtime: Any = None


@dataclass
class Prepared:
    """A response ready to run, with what it will be stored with."""

    setup: LoopSetup
    input_items: list[dict[str, Any]]
    context: list[dict[str, Any]]


def input_items(request: CreateResponseRequest) -> list[dict[str, Any]]:
    """The request's input as stored items (a string input is one user message)."""
    if isinstance(request.input, str):
        return [
            {
                "id": new_item_id("message"),
                "type": "message",
                "role": "user",
                "status": "completed",
                "content": [{"type": "input_text", "text": request.input}],
            }
        ]
    return [stored_item(item) for item in request.input]


def _check_combination(request: CreateResponseRequest) -> None:
    if request.previous_response_id and request.conversation_id():
        raise InvalidParameter(
            "conversation",
            "give either previous_response_id or conversation, not both",
        )
    if request.background and request.store is False:
        raise InvalidParameter("background", "background responses must be stored (store: true)")
    if isinstance(request.input, list) and not request.input:
        raise InvalidParameter("input", "must not be an empty list")


async def _context(
    request: CreateResponseRequest, s: Services, ctx: RequestContext
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The items that came before this request's input, and the previous response's tools."""
    if request.previous_response_id:
        row = await s.store.row(request.previous_response_id, ctx.user)
        previous: list[dict[str, Any]] = [
            *(row.get("context") or []),
            *(row.get("input") or []),
            *row["response"]["output"],
        ]
        return previous, list(row["response"].get("tools") or [])
    conversation = request.conversation_id()
    if conversation:
        check_conversation_id(conversation, "conversation")
        if s.conversations is None:
            raise NotFound(
                f"Conversation '{conversation}' not found.", code="conversation_not_found"
            )
        history: list[dict[str, Any]] = await s.conversations.history(conversation, ctx)
        return history, []
    return [], []


def _resolve_references(
    items: list[dict[str, Any]], context: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Replace ``item_reference`` items by the earlier item they name."""
    if not any(i["type"] == "item_reference" for i in items):
        return items
    earlier = {i.get("id"): i for i in context}
    out = []
    for index, item in enumerate(items):
        if item["type"] == "item_reference":
            found = earlier.get(item["id"])
            if found is None:
                raise InvalidParameter(
                    f"input[{index}].id",
                    f"item {item['id']!r} is not in the previous response or conversation",
                )
            item = found
        out.append(item)
    return out


async def _system_text(
    request: CreateResponseRequest, s: Services, ctx: RequestContext
) -> tuple[str | None, dict[str, Any] | None]:
    """The prompt template (filled) and the instructions, and the prompt as echoed."""
    if request.prompt is None:
        return request.instructions, None
    if s.prompts is None:
        raise NotFound(f"Prompt '{request.prompt.id}' not found.", code="prompt_not_found")
    version = request.prompt.version
    if isinstance(version, str):
        if not version.isdigit():
            raise InvalidParameter("prompt.version", "must be a version number")
        version = int(version)
    text, record = await s.prompts.render(
        request.prompt.id, version, request.prompt.variables or {}, ctx
    )
    echoed = {
        "id": record["prompt_id"],
        "version": str(record["version"]),
        "variables": request.prompt.variables or {},
    }
    parts = [p for p in (text, request.instructions) if p]
    return "\n\n".join(parts) or None, echoed


def _chat_base(request: CreateResponseRequest, model: str) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model}
    if request.stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    for name in ("temperature", "top_p", "presence_penalty", "frequency_penalty"):
        value = getattr(request, name)
        if value is not None:
            body[name] = value
    if request.parallel_tool_calls is False:
        body["parallel_tool_calls"] = False
    if request.top_logprobs or LOGPROBS_INCLUDE in (request.include or ()):
        body["logprobs"] = True
        if request.top_logprobs:
            body["top_logprobs"] = request.top_logprobs
    if request.reasoning is not None and request.reasoning.effort is not None:
        body["reasoning_effort"] = request.reasoning.effort
    if request.safety_identifier:
        body["user"] = request.safety_identifier
    fmt = request.text.format if request.text else None
    if isinstance(fmt, TextFormatJsonSchema):
        schema: dict[str, Any] = {"name": fmt.name, "schema": fmt.schema_}
        if fmt.strict is not None:
            schema["strict"] = fmt.strict
        body["response_format"] = {"type": "json_schema", "json_schema": schema}
    elif isinstance(fmt, TextFormatJsonObject):
        body["response_format"] = {"type": "json_object"}
    return body


def _guardrails(
    request: CreateResponseRequest, s: Services, ctx: RequestContext
) -> Guardrails | None:
    ids = request.guardrail_ids()
    if not ids:
        return None
    if s.safety is None:
        raise ServiceUnavailable(
            "guardrails need the safety API, which this server does not run",
            code="safety_unavailable",
        )
    for shield_id in ids:
        s.safety.shields.resolve(shield_id, ctx.user)  # 404 when unknown or not readable
    return Guardrails(s.safety, tuple(ids), ctx)


async def prepare(
    request: CreateResponseRequest, s: Services, ctx: RequestContext, max_iters: int
) -> Prepared:
    """Check the request and assemble the loop, or raise the 4xx that explains why not."""
    _check_combination(request)
    model = s.inference.models.resolve(request.model, ctx.user, want="llm").target.identifier
    tools = build_tools(request)
    runner = None
    if tools.file_search is not None:
        runner = FileSearchRunner(s.vector_io, tools.file_search, ctx)
        await runner.check_stores()
    web_search = None
    if tools.web_search_index is not None:
        where = f"tools[{tools.web_search_index}]"
        web_search = WebSearchRunner.prepare(s.tool_runtime, ctx, where)
    if tools.mcp_specs:
        tools.mcp = McpTools.prepare(tools.mcp_specs, s.connectors, ctx)
    guardrails = _guardrails(request, s, ctx)
    system, prompt = await _system_text(request, s, ctx)
    context, previous_tools = await _context(request, s, ctx)
    items = input_items(request)
    model_items = _resolve_references(items, context)
    approvals, approval_requests = approval_answers(model_items, context)
    if approvals and tools.mcp is None:
        raise InvalidParameter(
            "tools", "an mcp_approval_response needs the mcp tool of its server in tools"
        )
    if needs_files(model_items):
        model_items = await inline_files(model_items, s.files, ctx, s.connectors)
    draft = ResponseDraft(request, model, request.instructions, prompt)
    if request.store is not False:
        s.store.check_create(ctx.user, draft.id)
    setup = LoopSetup(
        draft=draft,
        messages=chat_messages(system, [*context, *model_items]),
        chat_base=_chat_base(request, model),
        tools=tools,
        max_iters=request.max_infer_iters or max_iters,
        ctx=ctx,
        file_search=runner,
        web_search=web_search,
        known_files=known_files(context),
        guardrails=guardrails,
        context=context,
        previous_tools=previous_tools,
        approvals=approvals,
        approval_requests=approval_requests,
    )
    return Prepared(setup, items, context)
