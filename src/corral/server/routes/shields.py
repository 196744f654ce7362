"""``/v1/shields``: list, get, register and unregister shields."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from corral.apis.safety.models import RegisterShieldRequest, Shield, ShieldList, shield_payload
from corral.apis.spec import Api
from corral.core.stack import Stack
from corral.server.context import request_context
from corral.server.http import ApiRoute, json_response, read_model
from corral.server.routes.safety import safety_router


def routes(stack: Stack) -> list[ApiRoute]:
    """The shields routes (an empty list when no safety provider is configured)."""

    async def list_shields(request: Request) -> Response:
        if Api.safety not in stack.routers:
            return json_response({"data": []})
        user = request_context(request).user
        data = [shield_payload(r) for r in safety_router(stack).shields.list(user)]
        return json_response({"data": data})

    async def get_shield(request: Request) -> Response:
        user = request_context(request).user
        routed = safety_router(stack).shields.resolve(request.path_params["identifier"], user)
        return json_response(shield_payload(routed.resource))

    async def register_shield(request: Request) -> Response:
        body = await read_model(request, RegisterShieldRequest)
        res = await safety_router(stack).shields.register(body, request_context(request).user)
        return json_response(shield_payload(res))

    async def delete_shield(request: Request) -> Response:
        await safety_router(stack).shields.unregister(
            request.path_params["identifier"], request_context(request).user
        )
        return Response(status_code=204)

    return [
        ApiRoute("GET", "/v1/shields", list_shields, "List shields", "shields", None, ShieldList),
        ApiRoute(
            "POST",
            "/v1/shields",
            register_shield,
            "Register a shield",
            "shields",
            RegisterShieldRequest,
            Shield,
        ),
        ApiRoute(
            "GET",
            "/v1/shields/{identifier:path}",
            get_shield,
            "Get a shield",
            "shields",
            None,
            Shield,
        ),
        ApiRoute(
            "DELETE",
            "/v1/shields/{identifier:path}",
            delete_shield,
            "Unregister a shield",
            "shields",
        ),
    ]
