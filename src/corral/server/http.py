"""Small HTTP helpers shared by every route: JSON in, JSON out, route declarations.

Request bodies are parsed once with orjson; a pydantic model validates them
where the route declares one (`corral.server.validation` checks pass-through
bodies). Validation errors become 400s naming the field as OpenAI does
(``messages[0].role``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from corral.apis.shapes import TAG_ERROR
from corral.errors import InvalidParameter, InvalidRequest, PayloadTooLarge, UnsupportedMediaType
from corral.server.errors import handle_exception

Endpoint = Callable[[Request], Awaitable[Response]]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ApiRoute:
    """One HTTP route: dispatch target and the facts OpenAPI needs."""

    method: str
    path: str
    endpoint: Endpoint
    summary: str
    tag: str
    #: A pydantic model, or a request shape (TypedDict) checked at the edge.
    request_model: type[BaseModel] | type[Mapping[str, Any]] | None = None
    response_model: type[BaseModel] | None = None
    #: Extra paths that serve the same endpoint (e.g. ``/v1/openai/v1/...`` for older clients).
    aliases: tuple[str, ...] = ()
    #: Served without authentication, quota or route policy (health, version).
    public: bool = False
    streaming: bool = False
    #: Media type of the request body `request_model` describes.
    request_media_type: str = "application/json"


class EndpointApp:
    """A route handler as an ASGI app: one `Request`, and any error mapped by the one handler.

    Starlette's own wrapper builds a second `Request` and two closures per
    request to find the same handler; every corral error goes to
    `handle_exception` anyway (which logs unexpected ones with their traceback).
    """

    def __init__(self, func: Endpoint) -> None:
        self.func = func

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request."""
        request = Request(scope, receive, send)
        try:
            response = await self.func(request)
        except Exception as exc:
            response = await handle_exception(request, exc)
        await response(scope, receive, send)


class JSONResponse(Response):
    """A JSON response serialised with orjson."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """Serialise with orjson."""
        return orjson.dumps(content)


def json_response(
    content: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """Serialise `content` (dicts, lists, pydantic models) with orjson."""
    if isinstance(content, BaseModel):
        content = content.model_dump(mode="json")
    return JSONResponse(content, status_code=status, headers=headers)


def require_json_media_type(request: Request) -> None:
    """415 unless the body is declared ``application/json`` (or ``application/<x>+json``).

    A browser sends a cross-origin "simple request" (``text/plain``, form
    encodings) without a CORS preflight; refusing those media types keeps a
    page from driving a JSON route of a server it can reach.
    """
    declared = request.headers.get("content-type", "")
    media = declared.partition(";")[0].strip().lower()
    if media != "application/json" and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        raise UnsupportedMediaType(
            f"the request body must be sent as application/json (got {declared or 'none'!r})"
        )


async def read_json(request: Request, limit: int | None = None) -> Any:
    """The parsed JSON body; a bad body is a 400, an oversized one a 413, a non-JSON type 415."""
    require_json_media_type(request)
    if limit is not None:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise PayloadTooLarge(f"request body is larger than {limit} bytes")
    body = await request.body()
    if limit is not None and len(body) > limit:
        raise PayloadTooLarge(f"request body is larger than {limit} bytes")
    if not body:
        raise InvalidRequest("request body is empty; send a JSON object")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"request body is not valid JSON: {exc}") from None


async def read_model(request: Request, model: type[M]) -> M:
    """The body validated as `model`; the first invalid field is named in the 400."""
    return parse_model(await read_json(request), model)


def parse_model(data: Any, model: type[M]) -> M:
    """Validate `data` as `model`, turning errors into `InvalidParameter`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_parameter(exc, data) from None


def invalid_parameter(exc: ValidationError, body: Any) -> InvalidParameter:
    """The 400 for a validation error of `body`: its most specific problem, with the field's path.

    Of the errors pydantic reports (one per member of a union), the one deepest
    in the body wins (``messages[0].content[0].text`` rather than "content is
    not a string"); several at that depth are listed together.
    """
    errors = exc.errors(include_url=False, include_input=False)
    paths = [field_path(e, body) for e in errors]
    deepest = max(paths, key=lambda p: p.count(".") + p.count("["))
    messages = [str(e["msg"]) for e, p in zip(errors, paths, strict=True) if p == deepest]
    return InvalidParameter(deepest, "; or ".join(dict.fromkeys(messages)))


def field_path(error: ErrorDetails, body: Any) -> str:
    """``messages[0].content[1].text``: the error's location, walked through the body itself.

    A location part that is neither a key of the object at that point nor an
    index is pydantic's own (a tagged-union branch such as ``user``, a union
    member such as ``list[str]``) and is left out. A bad tag value gets its key
    appended (``messages[0].role``).
    """
    out = ""
    node = body
    for part in error["loc"]:
        if isinstance(part, int) and isinstance(node, list):
            out += f"[{part}]"
            node = node[part] if part < len(node) else None
        elif (isinstance(node, dict) and part in node) or (
            error["type"] == "missing" and part == error["loc"][-1]
        ):
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    tag_key = _tag_key(error)
    if tag_key is not None:
        out += f".{tag_key}" if out else tag_key
    return out or "body"


def _tag_key(error: ErrorDetails) -> str | None:
    """The key holding a union's tag when the error is about the tag's value."""
    if error["type"].startswith(TAG_ERROR):
        return error["type"].removeprefix(TAG_ERROR)
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        return str(error.get("ctx", {}).get("discriminator", "")).strip("'") or None
    return None
