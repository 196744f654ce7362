"""``/v1/models``: list, get, register and unregister models."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from corral.apis.models.models import ModelList, OpenAIModel, RegisterModelRequest, model_payload
from corral.apis.spec import Api
from corral.core.routers.inference import INFERENCE, InferenceRouter
from corral.core.stack import Stack
from corral.errors import InvalidRequest
from corral.server.context import request_context
from corral.server.http import ApiRoute, json_response, read_model

OPENAI_ALIAS = "/v1/openai/v1"


def routes(stack: Stack) -> list[ApiRoute]:
    """The models routes (an empty catalogue when no inference provider is configured)."""

    def router() -> InferenceRouter:
        found = stack.routers.get(INFERENCE)
        if found is None:
            raise InvalidRequest(
                "no inference provider is configured; add one under providers.inference",
                code="no_inference_provider",
            )
        return found

    async def list_models(request: Request) -> Response:
        if Api.inference not in stack.routers:
            return json_response({"object": "list", "data": []})
        user = request_context(request).user
        data = [model_payload(r) for r in router().models.list(user)]
        return json_response({"object": "list", "data": data})

    async def get_model(request: Request) -> Response:
        user = request_context(request).user
        routed = router().models.resolve(request.path_params["model_id"], user)
        return json_response(model_payload(routed.resource))

    async def register_model(request: Request) -> Response:
        body = await read_model(request, RegisterModelRequest)
        res = await router().models.register(body, request_context(request).user)
        return json_response(model_payload(res))

    async def delete_model(request: Request) -> Response:
        await router().models.unregister(
            request.path_params["model_id"], request_context(request).user
        )
        return Response(status_code=204)

    return [
        ApiRoute(
            "GET",
            "/v1/models",
            list_models,
            "List models",
            "models",
            None,
            ModelList,
            aliases=(f"{OPENAI_ALIAS}/models",),
        ),
        ApiRoute(
            "POST",
            "/v1/models",
            register_model,
            "Register a model",
            "models",
            RegisterModelRequest,
            OpenAIModel,
        ),
        ApiRoute(
            "GET",
            "/v1/models/{model_id:path}",
            get_model,
            "Get a model",
            "models",
            None,
            OpenAIModel,
            aliases=(f"{OPENAI_ALIAS}/models/{{model_id:path}}",),
        ),
        ApiRoute(
            "DELETE", "/v1/models/{model_id:path}", delete_model, "Unregister a model", "models"
        ),
    ]
