"""``/v1/safety/run-shield`` and ``/v1/moderations``: judge messages or texts with a shield."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from corral.apis.safety.models import (
    ModerationRequest,
    ModerationResponse,
    RunShieldRequest,
    RunShieldResponse,
)
from corral.core.routers.safety import SAFETY, SafetyRouter
from corral.core.stack import Stack
from corral.errors import InvalidRequest
from corral.server.context import request_context
from corral.server.http import ApiRoute, json_response, parse_model, read_json

OPENAI_ALIAS = "/v1/openai/v1"


def safety_router(stack: Stack) -> SafetyRouter:
    """The running safety router, or a 400 saying how to configure one."""
    found = stack.routers.get(SAFETY)
    if found is None:
        raise InvalidRequest(
            "no safety provider is configured; add one under providers.safety",
            code="no_safety_provider",
        )
    return found


def routes(stack: Stack) -> list[ApiRoute]:
    """The safety routes."""
    limit = stack.run.server.max_request_body_bytes

    async def run_shield(request: Request) -> Response:
        body = parse_model(await read_json(request, limit), RunShieldRequest)
        ctx = request_context(request)
        return json_response(await safety_router(stack).run_shield(body, ctx))

    async def moderations(request: Request) -> Response:
        body = parse_model(await read_json(request, limit), ModerationRequest)
        ctx = request_context(request)
        return json_response(await safety_router(stack).moderations(body, ctx))

    return [
        ApiRoute(
            "POST",
            "/v1/safety/run-shield",
            run_shield,
            "Run a shield on messages",
            "safety",
            RunShieldRequest,
            RunShieldResponse,
        ),
        ApiRoute(
            "POST",
            "/v1/moderations",
            moderations,
            "Classify texts with a shield (OpenAI moderations)",
            "safety",
            ModerationRequest,
            ModerationResponse,
            aliases=(f"{OPENAI_ALIAS}/moderations",),
        ),
    ]
