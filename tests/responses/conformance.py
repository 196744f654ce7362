"""Field rules of the OpenResponses specification (openresponses.org), as a small checker.

Written for corral's tests from the specification's published schema (the
response resource, its items, content parts, tools and every streaming event):
each object kind lists its required fields and what each may hold. Server-run
tool items and annotations that OpenResponses leaves to the provider
(``file_search_call``, ``web_search_call``, the ``mcp_*`` items, ``file_citation``,
the ``file_search``, ``web_search`` and ``mcp`` tools and their events) follow
OpenAI's definitions. `violations` returns every rule an object breaks, as
``path: problem`` lines (empty when it conforms).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Check = Callable[[Any, str], list[str]]


def _type(*kinds: type, nullable: bool = False) -> Check:
    def check(value: Any, path: str) -> list[str]:
        if value is None and nullable:
            return []
        if isinstance(value, bool) and bool not in kinds:
            return [f"{path}: expected {'/'.join(k.__name__ for k in kinds)}, got bool"]
        if not isinstance(value, kinds):
            return [
                f"{path}: expected {'/'.join(k.__name__ for k in kinds)}, got {type(value).__name__}"
            ]
        return []

    return check


STR, INT, BOOL, OBJ = _type(str), _type(int), _type(bool), _type(dict)
NUM = _type(int, float)
OPT_STR, OPT_INT = _type(str, nullable=True), _type(int, nullable=True)


def enum(*values: str, nullable: bool = False) -> Check:
    def check(value: Any, path: str) -> list[str]:
        if value is None and nullable:
            return []
        return [] if value in values else [f"{path}: {value!r} is not one of {values}"]

    return check


def const(value: str) -> Check:
    return enum(value)


def array(of: Check) -> Check:
    def check(value: Any, path: str) -> list[str]:
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        return [p for i, v in enumerate(value) for p in of(v, f"{path}[{i}]")]

    return check


def nullable(of: Check) -> Check:
    return lambda value, path: [] if value is None else of(value, path)


def one_of(*checks: Check) -> Check:
    def check(value: Any, path: str) -> list[str]:
        found = [c(value, path) for c in checks]
        return [] if any(not f for f in found) else min(found, key=len)

    return check


def shape(fields: dict[str, Check]) -> Check:
    """An object with these required fields (others are allowed)."""

    def check(value: Any, path: str) -> list[str]:
        if not isinstance(value, dict):
            return [f"{path}: expected an object"]
        problems = [f"{path}.{name}: required" for name in fields if name not in value]
        for name, rule in fields.items():
            if name in value:
                problems += rule(value[name], f"{path}.{name}")
        return problems

    return check


def by_type(kinds: dict[str, Check]) -> Check:
    """A union told apart by its ``type`` field."""

    def check(value: Any, path: str) -> list[str]:
        kind = value.get("type") if isinstance(value, dict) else None
        if kind not in kinds:
            return [f"{path}.type: {kind!r} is not one of {sorted(kinds)}"]
        return kinds[kind](value, path)

    return check


LOGPROB = shape({"token": STR, "logprob": NUM, "bytes": array(INT), "top_logprobs": array(OBJ)})
ANNOTATION = by_type(
    {
        "url_citation": shape(
            {"type": STR, "url": STR, "start_index": INT, "end_index": INT, "title": STR}
        ),
        "file_citation": shape({"type": STR, "file_id": STR, "filename": STR, "index": INT}),
    }
)
PART = by_type(
    {
        "output_text": shape(
            {"type": STR, "text": STR, "annotations": array(ANNOTATION), "logprobs": array(LOGPROB)}
        ),
        "refusal": shape({"type": STR, "refusal": STR}),
        "input_text": shape({"type": STR, "text": STR}),
        "input_image": shape(
            {"type": STR, "image_url": OPT_STR, "detail": enum("low", "high", "auto")}
        ),
        "input_file": shape({"type": STR}),
        "text": shape({"type": STR, "text": STR}),
    }
)
ITEM_STATUS = enum("in_progress", "completed", "incomplete")
ITEM = by_type(
    {
        "message": shape(
            {
                "type": STR,
                "id": STR,
                "status": ITEM_STATUS,
                "role": enum(
                    "unknown",
                    "user",
                    "assistant",
                    "system",
                    "critic",
                    "discriminator",
                    "developer",
                    "tool",
                ),
                "content": array(PART),
            }
        ),
        "function_call": shape(
            {
                "type": STR,
                "id": STR,
                "call_id": STR,
                "name": STR,
                "arguments": STR,
                "status": ITEM_STATUS,
            }
        ),
        "function_call_output": shape(
            {
                "type": STR,
                "id": STR,
                "call_id": STR,
                "output": one_of(STR, array(PART)),
                "status": ITEM_STATUS,
            }
        ),
        "reasoning": shape({"type": STR, "id": STR, "summary": array(OBJ)}),
        "file_search_call": shape(
            {
                "type": STR,
                "id": STR,
                "queries": array(STR),
                "status": enum("in_progress", "searching", "completed", "incomplete", "failed"),
                "results": nullable(
                    array(shape({"file_id": STR, "filename": STR, "score": NUM, "text": STR}))
                ),
            }
        ),
        "web_search_call": shape(
            {
                "type": STR,
                "id": STR,
                "status": enum("in_progress", "searching", "completed", "failed"),
                "action": shape({"type": const("search"), "query": STR}),
            }
        ),
        "mcp_list_tools": shape(
            {
                "type": STR,
                "id": STR,
                "server_label": STR,
                "tools": array(shape({"name": STR, "input_schema": OBJ})),
                "error": OPT_STR,
            }
        ),
        "mcp_call": shape(
            {
                "type": STR,
                "id": STR,
                "server_label": STR,
                "name": STR,
                "arguments": STR,
                "output": OPT_STR,
                "error": OPT_STR,
                "status": enum("in_progress", "completed", "incomplete", "calling", "failed"),
                "approval_request_id": OPT_STR,
            }
        ),
        "mcp_approval_request": shape(
            {"type": STR, "id": STR, "server_label": STR, "name": STR, "arguments": STR}
        ),
    }
)
TOOL = by_type(
    {
        "function": shape(
            {
                "type": STR,
                "name": STR,
                "description": OPT_STR,
                "parameters": nullable(OBJ),
                "strict": _type(bool, nullable=True),
            }
        ),
        "file_search": shape(
            {
                "type": STR,
                "vector_store_ids": array(STR),
                "max_num_results": INT,
                "ranking_options": OBJ,
            }
        ),
        **{
            kind: shape({"type": STR})
            for kind in (
                "web_search",
                "web_search_preview",
                "web_search_preview_2025_03_11",
                "web_search_2025_08_26",
            )
        },
        "mcp": shape({"type": STR, "server_label": STR}),
    }
)
TOOL_CHOICE = one_of(
    enum("none", "auto", "required"),
    shape({"type": const("function")}),
    shape({"type": const("allowed_tools"), "tools": array(OBJ), "mode": enum("auto", "required")}),
    shape({"type": enum("file_search", "web_search", "web_search_preview")}),
    shape({"type": const("mcp"), "server_label": STR}),
)
TEXT_FORMAT = by_type(
    {
        "text": shape({"type": STR}),
        "json_object": shape({"type": STR}),
        "json_schema": shape(
            {"type": STR, "name": STR, "description": OPT_STR, "schema": OBJ, "strict": BOOL}
        ),
    }
)
USAGE = shape(
    {
        "input_tokens": INT,
        "output_tokens": INT,
        "total_tokens": INT,
        "input_tokens_details": shape({"cached_tokens": INT}),
        "output_tokens_details": shape({"reasoning_tokens": INT}),
    }
)
RESPONSE = shape(
    {
        "id": STR,
        "object": const("response"),
        "created_at": INT,
        "completed_at": OPT_INT,
        "status": enum("completed", "failed", "in_progress", "cancelled", "queued", "incomplete"),
        "incomplete_details": nullable(shape({"reason": STR})),
        "model": STR,
        "previous_response_id": OPT_STR,
        "instructions": OPT_STR,
        "output": array(ITEM),
        "error": nullable(shape({"code": STR, "message": STR})),
        "tools": array(TOOL),
        "tool_choice": TOOL_CHOICE,
        "truncation": enum("auto", "disabled"),
        "parallel_tool_calls": BOOL,
        "text": shape({"format": TEXT_FORMAT}),
        "top_p": NUM,
        "presence_penalty": NUM,
        "frequency_penalty": NUM,
        "top_logprobs": INT,
        "temperature": NUM,
        "reasoning": nullable(shape({"effort": OPT_STR, "summary": OPT_STR})),
        "usage": nullable(USAGE),
        "max_output_tokens": OPT_INT,
        "max_tool_calls": OPT_INT,
        "store": BOOL,
        "background": BOOL,
        "service_tier": STR,
        "metadata": OBJ,
        "safety_identifier": OPT_STR,
        "prompt_cache_key": OPT_STR,
    }
)


def _event(**fields: Check) -> Check:
    return shape({"type": STR, "sequence_number": INT, **fields})


_AT_PART = {"item_id": STR, "output_index": INT, "content_index": INT}
_AT_ITEM = {"item_id": STR, "output_index": INT}
EVENT = by_type(
    {
        **{
            f"response.{k}": _event(response=RESPONSE)
            for k in ("created", "queued", "in_progress", "completed", "failed", "incomplete")
        },
        "response.output_item.added": _event(output_index=INT, item=ITEM),
        "response.output_item.done": _event(output_index=INT, item=ITEM),
        "response.content_part.added": _event(**_AT_PART, part=PART),
        "response.content_part.done": _event(**_AT_PART, part=PART),
        "response.output_text.delta": _event(**_AT_PART, delta=STR, logprobs=array(LOGPROB)),
        "response.output_text.done": _event(**_AT_PART, text=STR, logprobs=array(LOGPROB)),
        "response.refusal.delta": _event(**_AT_PART, delta=STR),
        "response.refusal.done": _event(**_AT_PART, refusal=STR),
        "response.output_text.annotation.added": _event(
            **_AT_PART, annotation_index=INT, annotation=ANNOTATION
        ),
        "response.function_call_arguments.delta": _event(**_AT_ITEM, delta=STR),
        "response.function_call_arguments.done": _event(**_AT_ITEM, arguments=STR),
        "response.file_search_call.in_progress": _event(**_AT_ITEM),
        "response.file_search_call.searching": _event(**_AT_ITEM),
        "response.file_search_call.completed": _event(**_AT_ITEM),
        "response.web_search_call.in_progress": _event(**_AT_ITEM),
        "response.web_search_call.searching": _event(**_AT_ITEM),
        "response.web_search_call.completed": _event(**_AT_ITEM),
        "response.mcp_list_tools.in_progress": _event(**_AT_ITEM),
        "response.mcp_list_tools.completed": _event(**_AT_ITEM),
        "response.mcp_list_tools.failed": _event(**_AT_ITEM),
        "response.mcp_call_arguments.delta": _event(**_AT_ITEM, delta=STR),
        "response.mcp_call_arguments.done": _event(**_AT_ITEM, arguments=STR),
        "response.mcp_call.in_progress": _event(**_AT_ITEM),
        "response.mcp_call.completed": _event(**_AT_ITEM),
        "response.mcp_call.failed": _event(**_AT_ITEM),
        "error": _event(
            error=shape({"type": STR, "code": OPT_STR, "message": STR, "param": OPT_STR})
        ),
    }
)


def violations(kind: Check, value: Any, path: str = "$") -> list[str]:
    """Every rule `value` breaks."""
    return kind(value, path)
