"""``/v1/chat/completions``, ``/v1/completions``, ``/v1/embeddings`` and the stored completions.

Bodies are parsed once (orjson), checked against the OpenAI request shapes at
the edge (a 400 naming the field), and go to the provider as the client sent them.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from corral.apis.inference.models import (
    ChatCompletionRequest,
    CompletionRequest,
    EmbeddingsRequest,
    StoredCompletionList,
)
from corral.apis.spec import Api
from corral.core.routers.inference import INFERENCE, InferenceRouter
from corral.core.stack import Stack
from corral.errors import InvalidParameter, NotFound
from corral.server.context import request_context
from corral.server.http import ApiRoute, json_response
from corral.server.sse import sse_response
from corral.server.validation import BodyShape, read_body

OPENAI_ALIAS = "/v1/openai/v1"


CHAT = BodyShape(ChatCompletionRequest)
COMPLETION = BodyShape(CompletionRequest)
EMBEDDINGS = BodyShape(EmbeddingsRequest)


def routes(stack: Stack) -> list[ApiRoute]:
    """The inference routes (only when an inference provider is configured)."""
    if not stack.serves(Api.inference):
        return []
    limit = stack.run.server.max_request_body_bytes

    def router() -> InferenceRouter:
        return stack.routers.require(INFERENCE)

    async def chat(request: Request) -> Response:
        body = await read_body(request, CHAT, limit)
        result = await router().chat_completion(body, request_context(request))
        return json_response(result) if isinstance(result, dict) else await sse_response(result)

    async def completion(request: Request) -> Response:
        body = await read_body(request, COMPLETION, limit)
        result = await router().completion(body, request_context(request))
        return json_response(result) if isinstance(result, dict) else await sse_response(result)

    async def embeddings(request: Request) -> Response:
        body = await read_body(request, EMBEDDINGS, limit)
        return json_response(await router().embeddings(body, request_context(request)))

    async def list_completions(request: Request) -> Response:
        store = router().store
        if store is None:
            return json_response(
                {"object": "list", "data": [], "has_more": False, "first_id": None, "last_id": None}
            )
        q = request.query_params
        try:
            limit_n = int(q.get("limit", "20"))
        except ValueError:
            raise InvalidParameter("limit", "must be an integer") from None
        page = await store.list(
            request_context(request).user,
            after=q.get("after"),
            limit=limit_n,
            model=q.get("model"),
            order=q.get("order", "desc"),
        )
        return json_response(page)

    async def get_completion(request: Request) -> Response:
        store = router().store
        completion_id = request.path_params["completion_id"]
        if store is None:
            raise NotFound(
                f"chat completion {completion_id!r} not found (no inference store is configured)",
                code="completion_not_found",
            )
        return json_response(await store.get(completion_id, request_context(request).user))

    def alias(path: str) -> tuple[str, ...]:
        return (OPENAI_ALIAS + path.removeprefix("/v1"),)

    return [
        ApiRoute(
            "POST",
            "/v1/chat/completions",
            chat,
            "Create a chat completion",
            "inference",
            ChatCompletionRequest,
            None,
            aliases=alias("/v1/chat/completions"),
            streaming=True,
        ),
        ApiRoute(
            "POST",
            "/v1/completions",
            completion,
            "Create a completion",
            "inference",
            CompletionRequest,
            None,
            aliases=alias("/v1/completions"),
            streaming=True,
        ),
        ApiRoute(
            "POST",
            "/v1/embeddings",
            embeddings,
            "Create embeddings",
            "inference",
            EmbeddingsRequest,
            None,
            aliases=alias("/v1/embeddings"),
        ),
        ApiRoute(
            "GET",
            "/v1/chat/completions",
            list_completions,
            "List stored chat completions",
            "inference",
            None,
            StoredCompletionList,
            aliases=alias("/v1/chat/completions"),
        ),
        ApiRoute(
            "GET",
            "/v1/chat/completions/{completion_id}",
            get_completion,
            "Get a stored chat completion",
            "inference",
            None,
            None,
            aliases=alias("/v1/chat/completions/{completion_id}"),
        ),
    ]
