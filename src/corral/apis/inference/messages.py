"""Shapes of chat messages, content parts, tools and response formats (OpenAI format).

Roles are a closed set (an unknown role is an error naming ``role``); content
part, tool and response-format kinds corral does not know pass through
unchecked, since backends add their own (vLLM's ``video_url`` parts, say).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Required

from pydantic import Field
from typing_extensions import TypedDict

from corral.apis.shapes import OTHER, OpenShape, branch, tag_on


class TextPart(TypedDict):
    """``{"type": "text", "text": ...}``."""

    type: Literal["text"]
    text: str


class ImageURL(TypedDict, total=False):
    """Where an image part's image is (a URL or a data: URL)."""

    url: Required[str]
    detail: Literal["auto", "low", "high"] | None


class ImagePart(TypedDict):
    """``{"type": "image_url", "image_url": {"url": ...}}``."""

    type: Literal["image_url"]
    image_url: ImageURL


class InputAudio(TypedDict):
    """Base64 audio and its format."""

    data: str
    format: str


class AudioPart(TypedDict):
    """``{"type": "input_audio", "input_audio": {"data", "format"}}``."""

    type: Literal["input_audio"]
    input_audio: InputAudio


class FileRef(TypedDict, total=False):
    """A file by id or inline data."""

    file_id: str | None
    file_data: str | None
    filename: str | None


class FilePart(TypedDict):
    """``{"type": "file", "file": {...}}``."""

    type: Literal["file"]
    file: FileRef


class RefusalPart(TypedDict):
    """``{"type": "refusal", "refusal": ...}`` in an assistant message."""

    type: Literal["refusal"]
    refusal: str


UserPart = Annotated[
    Annotated[TextPart, branch("text")]
    | Annotated[ImagePart, branch("image_url")]
    | Annotated[AudioPart, branch("input_audio")]
    | Annotated[FilePart, branch("file")]
    | Annotated[OpenShape, branch(OTHER)],
    tag_on("type", ("text", "image_url", "input_audio", "file"), open=True),
]
AssistantPart = Annotated[
    Annotated[TextPart, branch("text")]
    | Annotated[RefusalPart, branch("refusal")]
    | Annotated[OpenShape, branch(OTHER)],
    tag_on("type", ("text", "refusal"), open=True),
]
TextOnlyPart = Annotated[
    Annotated[TextPart, branch("text")] | Annotated[OpenShape, branch(OTHER)],
    tag_on("type", ("text",), open=True),
]


UserContent = str | list[UserPart]
AssistantContent = str | list[AssistantPart]
TextContent = str | list[TextOnlyPart]


class FunctionCall(TypedDict):
    """The function a tool call invokes, with its JSON arguments as a string."""

    name: str
    arguments: str


class ToolCall(TypedDict):
    """One call in an assistant message's ``tool_calls``."""

    id: str
    type: Literal["function"]
    function: FunctionCall


class SystemMessage(TypedDict, total=False):
    """``system`` or ``developer`` instructions."""

    role: Required[Literal["system", "developer"]]
    content: Required[TextContent]
    name: str | None


class UserMessage(TypedDict, total=False):
    """A user turn: text, or a list of parts."""

    role: Required[Literal["user"]]
    content: Required[UserContent]
    name: str | None


class AssistantMessage(TypedDict, total=False):
    """A previous assistant turn (content, tool calls, or both)."""

    role: Required[Literal["assistant"]]
    content: AssistantContent | None
    refusal: str | None
    name: str | None
    tool_calls: list[ToolCall] | None
    function_call: dict[str, Any] | None


class ToolMessage(TypedDict):
    """The result of a tool call."""

    role: Literal["tool"]
    content: TextContent
    tool_call_id: str


class FunctionMessage(TypedDict):
    """The deprecated ``function`` role."""

    role: Literal["function"]
    name: str
    content: str | None


#: A closed set of roles, told apart by pydantic itself (no Python call per message).
Message = Annotated[
    SystemMessage | UserMessage | AssistantMessage | ToolMessage | FunctionMessage,
    Field(discriminator="role"),
]


class FunctionDefinition(TypedDict, total=False):
    """A function the model may call."""

    name: Required[str]
    description: str | None
    parameters: dict[str, Any] | None
    strict: bool | None


class FunctionTool(TypedDict):
    """``{"type": "function", "function": {...}}``."""

    type: Literal["function"]
    function: FunctionDefinition


Tool = Annotated[
    Annotated[FunctionTool, branch("function")] | Annotated[OpenShape, branch(OTHER)],
    tag_on("type", ("function",), open=True),
]


class JSONSchemaFormat(TypedDict, total=False):
    """The schema of a ``json_schema`` response format."""

    name: Required[str]
    description: str | None
    schema: dict[str, Any] | None
    strict: bool | None


class TextFormat(TypedDict):
    """Plain text answers."""

    type: Literal["text", "json_object"]


class SchemaFormat(TypedDict):
    """Answers that follow a JSON schema."""

    type: Literal["json_schema"]
    json_schema: JSONSchemaFormat


ResponseFormat = Annotated[
    Annotated[TextFormat, branch("text")]
    | Annotated[SchemaFormat, branch("json_schema")]
    | Annotated[OpenShape, branch(OTHER)],
    tag_on(
        "type", {"text": "text", "json_object": "text", "json_schema": "json_schema"}, open=True
    ),
]


class StreamOptions(TypedDict, total=False):
    """``stream_options``."""

    include_usage: bool | None
