"""``POST /v1alpha/inference/rerank`` (Llama Stack 0.7): a rerank model orders items for a query.

Served by providers with the `Reranks` capability (``remote::vllm``, through
vLLM's ``/rerank``); a model of another provider answers 400.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from corral.apis.inference.models import RerankRequest, RerankResponse
from corral.apis.spec import Api
from corral.core.routers.inference import INFERENCE
from corral.core.stack import Stack
from corral.server.context import request_context
from corral.server.http import ApiRoute, json_response, parse_model, read_json


def routes(stack: Stack) -> list[ApiRoute]:
    """The rerank route (only when an inference provider is configured)."""
    if not stack.serves(Api.inference):
        return []
    limit = stack.run.server.max_request_body_bytes

    async def rerank(request: Request) -> Response:
        parsed = parse_model(await read_json(request, limit), RerankRequest)
        body = parsed.model_dump(exclude_none=True)
        result = await stack.routers.require(INFERENCE).rerank(body, request_context(request))
        return json_response(result)

    return [
        ApiRoute(
            "POST",
            "/v1alpha/inference/rerank",
            rerank,
            "Rerank items for a query (rerank models of vLLM)",
            "inference",
            RerankRequest,
            RerankResponse,
        )
    ]
