"""``POST /v1/access/explain``: which access_policy rule decides a (principal, action, resource)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from corral.apis.context import User
from corral.apis.resources import Owner
from corral.core.stack import Stack
from corral.server.http import ApiRoute, json_response, read_model


class ExplainRequest(BaseModel):
    """The question: may this principal (default: the caller) do this action on this resource?"""

    model_config = ConfigDict(extra="forbid")

    action: Literal["create", "read", "update", "delete"]
    resource: str = Field(
        min_length=1, description="e.g. model::ollama/llama3 or sql_record::t::id"
    )
    principal: str | None = None
    attributes: dict[str, list[str]] = Field(default_factory=dict)
    owner: Owner | None = None


class ExplainResponse(BaseModel):
    """The answer and the rule behind it."""

    allowed: bool
    rule_index: int | None
    rule_description: str | None
    reason: str


def routes(stack: Stack) -> list[ApiRoute]:
    """The explain route."""

    async def explain(request: Request) -> Response:
        body = await read_model(request, ExplainRequest)
        caller: User | None = request.scope.get("user")
        if body.principal is not None:
            user: User | None = User(body.principal, body.attributes)
        else:
            user = caller
        decision = stack.access.decide(user, body.action, body.resource, body.owner)
        return json_response(
            {
                "allowed": decision.allowed,
                "rule_index": decision.rule.index if decision.rule else None,
                "rule_description": decision.rule.description if decision.rule else None,
                "reason": decision.reason,
            }
        )

    return [
        ApiRoute(
            "POST",
            "/v1/access/explain",
            explain,
            "Explain an access_policy decision",
            "access",
            ExplainRequest,
            ExplainResponse,
        )
    ]
