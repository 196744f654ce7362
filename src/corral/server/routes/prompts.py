"""``/v1/prompts``: Llama Stack's versioned prompt templates.

Always served: prompts need no provider (their store comes from
``storage.stores.prompts``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from corral.apis.context import RequestContext
from corral.apis.prompts.api import PromptsApi
from corral.apis.prompts.models import (
    CreatePromptRequest,
    PromptList,
    PromptObject,
    SetDefaultVersionRequest,
    UpdatePromptRequest,
)
from corral.apis.spec import Api
from corral.core.routers.prompts import PROMPTS
from corral.core.stack import Stack
from corral.server.context import request_context
from corral.server.http import ApiRoute, json_response, parse_model, read_json
from corral.server.routes.paging import int_param

ONE = "/v1/prompts/{prompt_id}"

Handler = Callable[[PromptsApi, Request, RequestContext, int], Awaitable[Any]]


async def _list(api: PromptsApi, r: Request, ctx: RequestContext, limit: int) -> Any:
    return await api.list_prompts(ctx)


async def _create(api: PromptsApi, r: Request, ctx: RequestContext, limit: int) -> Any:
    return await api.create(parse_model(await read_json(r, limit), CreatePromptRequest), ctx)


async def _get(api: PromptsApi, r: Request, ctx: RequestContext, limit: int) -> Any:
    version = None
    if r.query_params.get("version") is not None:
        version = int_param(r, "version", 1, 1, 2**31)
    return await api.get(r.path_params["prompt_id"], ctx, version)


async def _update(api: PromptsApi, r: Request, ctx: RequestContext, limit: int) -> Any:
    body = parse_model(await read_json(r, limit), UpdatePromptRequest)
    return await api.update(r.path_params["prompt_id"], body, ctx)


async def _delete(api: PromptsApi, r: Request, ctx: RequestContext, limit: int) -> Any:
    await api.delete(r.path_params["prompt_id"], ctx)
    return None


async def _set_default(api: PromptsApi, r: Request, ctx: RequestContext, limit: int) -> Any:
    body = parse_model(await read_json(r, limit), SetDefaultVersionRequest)
    return await api.set_default_version(r.path_params["prompt_id"], body.version, ctx)


async def _versions(api: PromptsApi, r: Request, ctx: RequestContext, limit: int) -> Any:
    return await api.list_versions(r.path_params["prompt_id"], ctx)


TABLE: list[tuple[str, str, Handler, str, Any, Any]] = [
    ("GET", "/v1/prompts", _list, "List prompts (default versions)", None, PromptList),
    ("POST", "/v1/prompts", _create, "Create a prompt", CreatePromptRequest, PromptObject),
    ("GET", ONE, _get, "Get a prompt (a version, or the default)", None, PromptObject),
    ("PUT", ONE, _update, "Update a prompt (a new version)", UpdatePromptRequest, PromptObject),
    ("DELETE", ONE, _delete, "Delete a prompt and its versions", None, None),
    ("PUT", ONE + "/set-default-version", _set_default, "Set a prompt's default version",
     SetDefaultVersionRequest, PromptObject),
    ("GET", ONE + "/versions", _versions, "List a prompt's versions", None, PromptList),
]  # fmt: skip


def routes(stack: Stack) -> list[ApiRoute]:
    """The prompts routes."""
    if not stack.serves(Api.prompts):
        return []
    limit = stack.run.server.max_request_body_bytes

    def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            api: PromptsApi = stack.routers.require(PROMPTS)
            return json_response(await handler(api, request, request_context(request), limit))

        return run

    return [
        ApiRoute(method, path, endpoint(handler), summary, "prompts", request_model, response_model)
        for method, path, handler, summary, request_model, response_model in TABLE
    ]
