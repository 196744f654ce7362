"""Items of the Responses and Conversations APIs: what a conversation is made of.

An item is a message (with typed content parts), a function call the model
made, the client's answer to it, or the record of a tool the server ran
(``file_search_call``, ``mcp_call``, ...). Requests may omit ``type`` on a
message (``{"role": "user", "content": "Hi"}``, OpenAI's "easy" form); the
validator fills it in. Unknown fields are ignored, wrong types are errors that
name the field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

MessageRole = Literal["user", "assistant", "system", "developer"]
ItemStatus = Literal["in_progress", "completed", "incomplete", "failed", "searching"]


class _Item(BaseModel):
    model_config = ConfigDict(extra="ignore")


class InputTextPart(_Item):
    """Text the client sends."""

    type: Literal["input_text"]
    text: str


class InputImagePart(_Item):
    """An image, by URL (``data:`` URLs included) or uploaded file id."""

    type: Literal["input_image"]
    image_url: str | None = None
    file_id: str | None = None
    detail: Literal["low", "high", "auto"] = "auto"


class InputFilePart(_Item):
    """A file, by uploaded file id or inline data; its text is given to the model."""

    type: Literal["input_file"]
    file_id: str | None = None
    file_data: str | None = None
    file_url: str | None = None
    filename: str | None = None


class OutputTextPart(_Item):
    """Text the model wrote (earlier output items sent back as input)."""

    type: Literal["output_text"]
    text: str
    annotations: list[dict[str, Any]] = Field(default_factory=list)
    logprobs: list[dict[str, Any]] | None = None


class RefusalPart(_Item):
    """A refusal the model (or a guardrail) gave instead of an answer."""

    type: Literal["refusal"]
    refusal: str


ContentPart = Annotated[
    InputTextPart | InputImagePart | InputFilePart | OutputTextPart | RefusalPart,
    Field(discriminator="type"),
]


class MessageItem(_Item):
    """A message from the user, the system/developer or the assistant."""

    type: Literal["message"] = "message"
    id: str | None = None
    role: MessageRole
    content: str | list[ContentPart]
    status: ItemStatus | None = None


class FunctionCallItem(_Item):
    """A call of a client-side function the model asked for."""

    type: Literal["function_call"]
    id: str | None = None
    call_id: str
    name: str
    arguments: str
    status: ItemStatus | None = None


class FunctionCallOutputItem(_Item):
    """The client's result of a function call."""

    type: Literal["function_call_output"]
    id: str | None = None
    call_id: str
    output: str | list[ContentPart]
    status: ItemStatus | None = None


class FileSearchCallItem(_Item):
    """A file_search the server ran for the model."""

    type: Literal["file_search_call"]
    id: str
    queries: list[str] = Field(default_factory=list)
    status: ItemStatus = "completed"
    results: list[dict[str, Any]] | None = None


class ReasoningItem(_Item):
    """A reasoning summary (kept in conversations, not sent back to chat models)."""

    type: Literal["reasoning"]
    id: str | None = None
    summary: list[dict[str, Any]] = Field(default_factory=list)
    content: list[dict[str, Any]] | None = None
    encrypted_content: str | None = None


class ItemReference(_Item):
    """A reference to an item stored earlier (in a conversation or response)."""

    type: Literal["item_reference"]
    id: str


class _ToolRecord(_Item):
    """Records of server-run tools whose fields the tools layer owns; kept as sent."""

    model_config = ConfigDict(extra="allow")
    id: str | None = None


class WebSearchCallItem(_ToolRecord):
    """A web search the server ran."""

    type: Literal["web_search_call"]


class McpListToolsItem(_ToolRecord):
    """The tools an MCP server offered."""

    type: Literal["mcp_list_tools"]


class McpCallItem(_ToolRecord):
    """A call of an MCP server's tool."""

    type: Literal["mcp_call"]


class McpApprovalRequestItem(_ToolRecord):
    """A request for the client to approve an MCP tool call."""

    type: Literal["mcp_approval_request"]


class McpApprovalResponseItem(_ToolRecord):
    """The client's answer to an approval request."""

    type: Literal["mcp_approval_response"]
    approval_request_id: str
    approve: bool
    reason: str | None = None


Item = Annotated[
    MessageItem
    | FunctionCallItem
    | FunctionCallOutputItem
    | FileSearchCallItem
    | ReasoningItem
    | ItemReference
    | WebSearchCallItem
    | McpListToolsItem
    | McpCallItem
    | McpApprovalRequestItem
    | McpApprovalResponseItem,
    Field(discriminator="type"),
]

ITEM_TYPES = frozenset(
    {
        "message",
        "function_call",
        "function_call_output",
        "file_search_call",
        "reasoning",
        "item_reference",
        "web_search_call",
        "mcp_list_tools",
        "mcp_call",
        "mcp_approval_request",
        "mcp_approval_response",
    }
)

_ITEMS: TypeAdapter[list[Item]] = TypeAdapter(list[Item])


def with_message_type(raw: Any) -> Any:
    """OpenAI's easy form: a dict with ``role`` and no ``type`` is a message."""
    if isinstance(raw, dict) and "type" not in raw and "role" in raw:
        return {**raw, "type": "message"}
    return raw


def parse_items(raw: list[Any]) -> list[Item]:
    """Validate a list of items (the easy message form included)."""
    return _ITEMS.validate_python([with_message_type(r) for r in raw])
