"""``POST /v1/access/explain``: which access_policy rule decides a (principal, action, resource).

The answer comes from the function enforcement uses (`AccessPolicy.decide`),
with the owner enforcement would see: when the question names no `owner`, the
resource's real owner is looked up (the resource registry for models, shields,
vector stores...; the inference store for stored chat completions). A record
whose owner corral cannot look up needs `owner` in the question (400), rather
than an answer that assumes it has none. Asking about another principal (or
other attributes) than the caller's needs the ``admin`` role
(``roles: [admin]`` in the caller's attributes): otherwise any user could map
out what everyone else may do.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from corral.apis.context import User
from corral.apis.resources import Owner
from corral.core.routers.inference import INFERENCE
from corral.core.stack import Stack
from corral.errors import Forbidden, InvalidParameter
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


#: The caller attribute (and value) that may explain another principal's access.
ADMIN_ATTRIBUTE = ("roles", "admin")


def routes(stack: Stack) -> list[ApiRoute]:
    """The explain route."""

    async def explain(request: Request) -> Response:
        body = await read_model(request, ExplainRequest)
        caller: User | None = request.scope.get("user")
        user = _asked_about(body, caller)
        owner = body.owner
        if owner is None and body.action != "create":  # a create has no owner yet
            found, owner = await _owner(stack, body.resource, caller)
            if not found:
                return json_response(_not_found(body.resource))
        decision = stack.access.decide(user, body.action, body.resource, owner)
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


def _asked_about(body: ExplainRequest, caller: User | None) -> User | None:
    """Whom the question is about; someone other than the caller needs the admin role."""
    if body.principal is None and not body.attributes:
        return caller
    other = body.principal is not None and (caller is None or body.principal != caller.principal)
    if caller is not None and (other or body.attributes):
        name, value = ADMIN_ATTRIBUTE
        if value not in caller.attributes.get(name, []):
            raise Forbidden(
                "explaining another principal's access (or other attributes) needs the "
                f"{value!r} value in the caller's {name!r} attribute",
                code="explain_forbidden",
            )
    principal = (
        body.principal if body.principal is not None else (caller.principal if caller else "")
    )
    return User(principal, body.attributes)


async def _owner(stack: Stack, resource: str, caller: User | None) -> tuple[bool, Owner | None]:
    """(found, owner) of `resource` as enforcement would see it."""
    kind, _, rest = resource.partition("::")
    if kind == "sql_record":
        table, _, record_id = rest.partition("::")
        router = stack.routers.get(INFERENCE)
        store = router.store if router is not None else None
        if store is not None and table == store.table:
            return await store.owner(record_id, caller)
        raise InvalidParameter(
            "owner",
            f"corral cannot look up the owner of {table!r} records here; pass `owner` to ask "
            "about one",
        )
    registered = stack.resources.get(kind, rest)
    if registered is None:  # named another way (``model::<model_id>``)?
        matches = (r for r in stack.resources.list(kind) if resource in r.policy_ids)
        registered = next(matches, None)
    if registered is None:
        return False, None
    return True, registered.owner


def _not_found(resource: str) -> dict[str, object]:
    return {
        "allowed": False,
        "rule_index": None,
        "rule_description": None,
        "reason": f"{resource} does not exist (or is not visible): it would be a 404",
    }
