"""``/v1/responses``: create (JSON or SSE), list, get, delete, input items and cancel.

The body is validated once against `CreateResponseRequest` (a wrong type or
range is a 400 naming the field; unknown fields are ignored). Streamed
responses are sent as the provider frames them (``event:`` + ``data:`` lines,
no ``[DONE]``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from corral.apis.responses.api import ResponsesProvider
from corral.apis.responses.models import (
    CreateResponseRequest,
    ItemList,
    ResponseDeleted,
    ResponseList,
    ResponseObject,
)
from corral.apis.spec import Api
from corral.core.routers.responses import RESPONSES
from corral.core.stack import Stack
from corral.server.context import request_context
from corral.server.http import ApiRoute, json_response, parse_model, read_json
from corral.server.routes.paging import include_param, list_query
from corral.server.sse import sse_response

OPENAI_ALIAS = "/v1/openai/v1"
ONE = "/v1/responses/{response_id}"


def routes(stack: Stack) -> list[ApiRoute]:
    """The responses routes (only when a responses provider is configured)."""
    if not stack.serves(Api.responses):
        return []
    limit = stack.run.server.max_request_body_bytes

    def provider() -> ResponsesProvider:
        found: ResponsesProvider = stack.routers.require(RESPONSES)
        return found

    async def create(request: Request) -> Response:
        body = parse_model(await read_json(request, limit), CreateResponseRequest)
        result = await provider().create_response(body, request_context(request))
        if isinstance(result, dict):
            return json_response(result)
        return await sse_response(result, framed=True)

    async def list_all(request: Request) -> Response:
        query = list_query(request, 50, before=False)
        model = request.query_params.get("model") or None
        return json_response(
            await provider().list_responses(request_context(request), query, model)
        )

    async def get(request: Request) -> Response:
        response_id = request.path_params["response_id"]
        found = await provider().get_response(
            response_id, request_context(request), include_param(request)
        )
        return json_response(found)

    async def delete(request: Request) -> Response:
        response_id = request.path_params["response_id"]
        return json_response(
            await provider().delete_response(response_id, request_context(request))
        )

    async def input_items(request: Request) -> Response:
        response_id = request.path_params["response_id"]
        page = await provider().list_input_items(
            response_id, request_context(request), list_query(request), include_param(request)
        )
        return json_response(page)

    async def cancel(request: Request) -> Response:
        response_id = request.path_params["response_id"]
        return json_response(
            await provider().cancel_response(response_id, request_context(request))
        )

    table: list[tuple[str, str, Any, str, Any, Any, bool]] = [
        ("POST", "/v1/responses", create, "Create a response", CreateResponseRequest,
         ResponseObject, True),
        ("GET", "/v1/responses", list_all, "List stored responses", None, ResponseList, False),
        ("GET", ONE, get, "Get a stored response", None, ResponseObject, False),
        ("DELETE", ONE, delete, "Delete a stored response", None, ResponseDeleted, False),
        ("GET", ONE + "/input_items", input_items, "List a response's input items", None,
         ItemList, False),
        ("POST", ONE + "/cancel", cancel, "Cancel a background response", None,
         ResponseObject, False),
    ]  # fmt: skip
    return [
        ApiRoute(
            method,
            path,
            handler,
            summary,
            "responses",
            request_model,
            response_model,
            aliases=(OPENAI_ALIAS + path.removeprefix("/v1"),),
            streaming=streaming,
        )
        for method, path, handler, summary, request_model, response_model, streaming in table
    ]
