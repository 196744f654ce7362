"""``/v1/batches``: create, list, get and cancel (the OpenAI Batches API)."""

from __future__ import annotations

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from corral.apis.batches.api import BatchesProvider
from corral.apis.batches.models import BatchList, BatchObject, CreateBatchRequest
from corral.apis.spec import Api
from corral.core.routers.batches import BATCHES
from corral.core.stack import Stack
from corral.server.context import request_context
from corral.server.http import ApiRoute, Endpoint, json_response, parse_model, read_json
from corral.server.routes.paging import int_param

OPENAI_ALIAS = "/v1/openai/v1"
ONE = "/v1/batches/{batch_id}"


def routes(stack: Stack) -> list[ApiRoute]:
    """The batches routes (only when a batches provider is configured)."""
    if not stack.serves(Api.batches):
        return []
    limit = stack.run.server.max_request_body_bytes

    def provider() -> BatchesProvider:
        return stack.routers.require(BATCHES)

    async def create(request: Request) -> Response:
        body = parse_model(await read_json(request, limit), CreateBatchRequest)
        return json_response(await provider().create_batch(body, request_context(request)))

    async def list_all(request: Request) -> Response:
        after = request.query_params.get("after") or None
        page = await provider().list_batches(
            request_context(request), after, int_param(request, "limit", 20, 1, 100)
        )
        return json_response(page)

    async def get(request: Request) -> Response:
        batch_id = request.path_params["batch_id"]
        return json_response(await provider().get_batch(batch_id, request_context(request)))

    async def cancel(request: Request) -> Response:
        batch_id = request.path_params["batch_id"]
        return json_response(await provider().cancel_batch(batch_id, request_context(request)))

    def route(
        method: str,
        path: str,
        handler: Endpoint,
        summary: str,
        body: type[BaseModel] | None,
        answer: type[BaseModel],
    ) -> ApiRoute:
        alias = OPENAI_ALIAS + path.removeprefix("/v1")
        return ApiRoute(method, path, handler, summary, "batches", body, answer, aliases=(alias,))

    return [
        route("POST", "/v1/batches", create, "Create a batch", CreateBatchRequest, BatchObject),
        route("GET", "/v1/batches", list_all, "List batches", None, BatchList),
        route("GET", ONE, get, "Get a batch", None, BatchObject),
        route("POST", ONE + "/cancel", cancel, "Cancel a batch", None, BatchObject),
    ]
