"""Wire types of ``/v1/responses`` (OpenAI's shapes, with Llama Stack's extensions).

The request model accepts unknown fields (newer OpenAI parameters, ``extra_body``
keys) and ignores them; wrong types and out-of-range values are 400s naming the
field. Llama Stack's extensions read here: ``max_infer_iters`` and
``guardrails``. Response objects are built as plain dicts by the provider (they
are serialised once, on the hot path); `ResponseObject` describes them for the
OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from corral.apis.responses.items import Item, with_message_type


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class FunctionTool(_Wire):
    """A function the client implements; the response ends with its ``function_call``."""

    type: Literal["function"]
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class RankingOptions(_Wire):
    """How file_search ranks its hits."""

    ranker: str | None = None
    score_threshold: float | None = Field(None, ge=0.0, le=1.0)


class FileSearchTool(_Wire):
    """Search corral's own vector stores; run by the server inside the loop."""

    type: Literal["file_search"]
    vector_store_ids: list[str] = Field(min_length=1)
    filters: dict[str, Any] | None = None
    max_num_results: int | None = Field(None, ge=1, le=50)
    ranking_options: RankingOptions | None = None


class WebSearchTool(_Wire):
    """Search the web (served by the tools layer when a search provider is configured)."""

    model_config = ConfigDict(extra="allow")
    type: Literal[
        "web_search",
        "web_search_preview",
        "web_search_preview_2025_03_11",
        "web_search_2025_08_26",
    ]


class McpToolFilter(_Wire):
    """Which of a server's tools: by name, or only those annotated read-only."""

    tool_names: list[str] | None = None
    read_only: bool | None = None


class McpApprovalFilter(_Wire):
    """Tools that always / never need the client's approval (a list, or OpenAI's filter)."""

    always: list[str] | McpToolFilter | None = None
    never: list[str] | McpToolFilter | None = None


class McpTool(_Wire):
    """The tools of a remote MCP server, listed and called by the server inside the loop."""

    type: Literal["mcp"]
    server_label: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    server_url: str | None = None
    connector_id: str | None = None
    server_description: str | None = None
    headers: dict[str, str] | None = None
    authorization: str | None = None
    allowed_tools: list[str] | McpToolFilter | None = None
    require_approval: Literal["always", "never"] | McpApprovalFilter | None = None


Tool = Annotated[
    FunctionTool | FileSearchTool | WebSearchTool | McpTool, Field(discriminator="type")
]


class FunctionChoice(_Wire):
    """Force one function."""

    type: Literal["function"]
    name: str


class HostedToolChoice(_Wire):
    """Force a server-run tool type."""

    type: Literal[
        "file_search",
        "web_search",
        "web_search_preview",
        "web_search_preview_2025_03_11",
        "web_search_2025_08_26",
    ]


class McpChoice(_Wire):
    """Force an MCP server's tool."""

    type: Literal["mcp"]
    server_label: str
    name: str | None = None


class AllowedTools(_Wire):
    """Restrict the model to some of the tools, optionally requiring a call."""

    type: Literal["allowed_tools"]
    mode: Literal["auto", "required"] = "auto"
    tools: list[dict[str, Any]]


ToolChoice = (
    Literal["none", "auto", "required"]
    | Annotated[
        FunctionChoice | HostedToolChoice | McpChoice | AllowedTools,
        Field(discriminator="type"),
    ]
)


class TextFormatText(_Wire):
    """Plain text output (the default)."""

    type: Literal["text"]


class TextFormatJsonObject(_Wire):
    """Any JSON object."""

    type: Literal["json_object"]


class TextFormatJsonSchema(_Wire):
    """JSON matching a schema; ``strict`` asks the model to follow it exactly."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    type: Literal["json_schema"]
    name: str = Field(min_length=1, max_length=64)
    schema_: dict[str, Any] = Field(alias="schema")
    description: str | None = None
    strict: bool | None = None


TextFormat = Annotated[
    TextFormatText | TextFormatJsonObject | TextFormatJsonSchema, Field(discriminator="type")
]


class TextConfig(_Wire):
    """``text``: the output format."""

    format: TextFormat | None = None
    verbosity: Literal["low", "medium", "high"] | None = None


class PromptRef(_Wire):
    """A stored prompt template (``/v1/prompts``) and the values of its variables."""

    id: str
    version: str | int | None = None
    variables: dict[str, Any] | None = None


class ConversationRef(_Wire):
    """A conversation given as an object."""

    id: str


class GuardrailSpec(_Wire):
    """A guardrail given as an object (its ``type`` is the shield id)."""

    model_config = ConfigDict(extra="forbid")
    type: str


class StreamOptions(_Wire):
    """Options of streamed responses."""

    include_obfuscation: bool | None = None


class ReasoningConfig(_Wire):
    """Reasoning effort for models that reason."""

    effort: Literal["none", "minimal", "low", "medium", "high", "xhigh"] | None = None
    summary: Literal["auto", "concise", "detailed"] | None = None


class CreateResponseRequest(BaseModel):
    """``POST /v1/responses``."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1)
    input: str | list[Item]
    instructions: str | None = None
    previous_response_id: str | None = None
    conversation: str | ConversationRef | None = None
    prompt: PromptRef | None = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    max_tool_calls: int | None = Field(None, ge=1)
    max_infer_iters: int | None = Field(None, ge=1, le=100)
    max_output_tokens: int | None = Field(None, ge=16)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    top_p: float | None = Field(None, ge=0.0, le=1.0)
    presence_penalty: float | None = Field(None, ge=-2.0, le=2.0)
    frequency_penalty: float | None = Field(None, ge=-2.0, le=2.0)
    top_logprobs: int | None = Field(None, ge=0, le=20)
    text: TextConfig | None = None
    reasoning: ReasoningConfig | None = None
    metadata: dict[str, str] | None = None
    store: bool | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    background: bool | None = None
    include: list[str] | None = None
    truncation: Literal["auto", "disabled"] | None = None
    service_tier: Literal["auto", "default", "flex", "priority", "scale"] | None = None
    safety_identifier: str | None = Field(None, max_length=64)
    prompt_cache_key: str | None = Field(None, max_length=64)
    user: str | None = None
    guardrails: list[str | GuardrailSpec] | None = None

    @field_validator("input", mode="before")
    @classmethod
    def _easy_messages(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [with_message_type(v) for v in value]
        return value

    @field_validator("metadata")
    @classmethod
    def _metadata_limits(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return value
        if len(value) > 16:
            raise ValueError("at most 16 metadata keys")
        if any(len(k) > 64 or len(v) > 512 for k, v in value.items()):
            raise ValueError("metadata keys are at most 64 characters, values at most 512")
        return value

    def conversation_id(self) -> str | None:
        """The conversation id, whichever form it was given in."""
        if isinstance(self.conversation, ConversationRef):
            return self.conversation.id
        return self.conversation

    def guardrail_ids(self) -> list[str]:
        """Shield ids named by ``guardrails``."""
        return [g if isinstance(g, str) else g.type for g in self.guardrails or []]


class ResponseError(BaseModel):
    """Why a response failed."""

    code: str
    message: str


class ResponseUsage(BaseModel):
    """Tokens over every model call of the loop."""

    input_tokens: int
    output_tokens: int
    total_tokens: int
    input_tokens_details: dict[str, int]
    output_tokens_details: dict[str, int]


class ResponseObject(BaseModel):
    """A response (OpenAI's ``response`` object; every field is always present)."""

    id: str
    object: Literal["response"] = "response"
    created_at: int
    completed_at: int | None
    status: Literal["completed", "failed", "in_progress", "cancelled", "queued", "incomplete"]
    incomplete_details: dict[str, str] | None
    error: ResponseError | None
    model: str
    instructions: str | None
    output: list[dict[str, Any]]
    output_text: str | None = None
    previous_response_id: str | None
    conversation: dict[str, str] | None = None
    prompt: dict[str, Any] | None = None
    tools: list[dict[str, Any]]
    tool_choice: Any
    parallel_tool_calls: bool
    max_tool_calls: int | None
    max_output_tokens: int | None
    temperature: float
    top_p: float
    presence_penalty: float
    frequency_penalty: float
    top_logprobs: int
    text: dict[str, Any]
    reasoning: dict[str, Any] | None
    truncation: str
    usage: ResponseUsage | None
    store: bool
    background: bool
    service_tier: str
    metadata: dict[str, str]
    safety_identifier: str | None
    prompt_cache_key: str | None
    user: str | None = None


class ResponseList(BaseModel):
    """A page of stored responses."""

    object: Literal["list"] = "list"
    data: list[ResponseObject]
    first_id: str | None
    last_id: str | None
    has_more: bool


class ResponseDeleted(BaseModel):
    """``DELETE /v1/responses/{id}``."""

    id: str
    object: Literal["response"] = "response"
    deleted: bool = True


class ItemList(BaseModel):
    """A page of items (a response's input items, a conversation's items)."""

    object: Literal["list"] = "list"
    data: list[dict[str, Any]]
    first_id: str | None
    last_id: str | None
    has_more: bool
