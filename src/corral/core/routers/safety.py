"""The safety router: run-shield, OpenAI moderations, and shield checks for the chat guard.

Each call resolves the shield (access-checked for clients, unchecked for the
server's own guard), normalises the messages once, overlays the request's
``params`` on the shield's, and asks the shield's provider for a verdict.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from corral.apis.context import RequestContext
from corral.apis.safety.api import SafetyProvider, ShieldCall, ShieldMessage, Violation
from corral.apis.safety.messages import content_text, shield_messages
from corral.apis.safety.models import (
    ModerationRequest,
    RunShieldRequest,
    moderation_result,
    violation_payload,
)
from corral.apis.spec import Api
from corral.core.routers.spec import RouterContext, RouterSpec, implementations
from corral.core.routing_tables.shields import RoutedShield, ShieldsTable
from corral.errors import InvalidParameter, NotFound

if TYPE_CHECKING:
    from corral.core.resolver import ProviderInstance

#: Moderation inputs checked at once (each may be a guard-model call).
MODERATION_CONCURRENCY = 8


class SafetyRouter:
    """Routes safety calls to the provider that serves the shield."""

    def __init__(self, shields: ShieldsTable, default_shield_id: str | None) -> None:
        self.shields = shields
        self.default_shield_id = default_shield_id

    async def run_shield(self, request: RunShieldRequest, ctx: RequestContext) -> dict[str, Any]:
        """``POST /v1/safety/run-shield``."""
        routed = self.shields.resolve(request.shield_id, ctx.user)
        messages = shield_messages(request.messages)
        violation = await _run(routed, messages, request.params or {}, ctx)
        return {"violation": violation_payload(violation)}

    async def moderations(self, request: ModerationRequest, ctx: RequestContext) -> dict[str, Any]:
        """``POST /v1/moderations``: one OpenAI moderation result per input."""
        routed = self._moderation_shield(request.model, ctx)
        inputs = moderation_inputs(request.input)
        limit = asyncio.Semaphore(MODERATION_CONCURRENCY)

        async def one(text: str) -> Violation | None:
            async with limit:
                return await _run(routed, (ShieldMessage("user", text),), {}, ctx)

        verdicts = await asyncio.gather(*(one(text) for text in inputs))
        return {
            "id": f"modr-{uuid.uuid4().hex}",
            "model": request.model or routed.resource.identifier,
            "results": [moderation_result(v) for v in verdicts],
        }

    async def check(
        self, shield_id: str, messages: Sequence[ShieldMessage], ctx: RequestContext
    ) -> Violation | None:
        """Run a shield for the server itself (the chat guard): no access check."""
        routed = self.shields.get(shield_id)
        if routed is None:
            raise NotFound(f"guard shield {shield_id!r} is not registered", code="shield_not_found")
        return await _run(routed, tuple(messages), {}, ctx)

    def _moderation_shield(self, model: str | None, ctx: RequestContext) -> RoutedShield:
        if model:
            return self.shields.for_moderation(model, ctx.user)
        if self.default_shield_id is None:
            names = ", ".join(r.identifier for r in self.shields.list(ctx.user)) or "none"
            raise InvalidParameter(
                "model",
                f"name the shield to moderate with (shields: {names}); or set "
                "safety.default_shield_id in the run config",
            )
        return self.shields.resolve(self.default_shield_id, ctx.user)

    async def shutdown(self) -> None:
        """Nothing of its own to release (the shields' providers stop themselves)."""


async def _run(
    routed: RoutedShield,
    messages: tuple[ShieldMessage, ...],
    params: dict[str, Any],
    ctx: RequestContext,
) -> Violation | None:
    merged = {**routed.target.params, **params} if params else routed.target.params
    return await routed.provider.run_shield(ShieldCall(routed.target, messages, merged, ctx))


def moderation_inputs(raw: Any) -> list[str]:
    """The texts of a moderation ``input``: a string, a list of strings or of content parts."""
    if isinstance(raw, str):
        items: list[Any] = [raw]
    elif isinstance(raw, list) and raw:
        items = raw
    else:
        raise InvalidParameter("input", "a string or a non-empty list is required")
    out = []
    for index, item in enumerate(items):
        text = content_text(item, f"input[{index}]")
        if not text and not isinstance(item, str):
            raise InvalidParameter(f"input[{index}]", "only text inputs can be moderated")
        out.append(text)
    return out


async def create_safety_router(
    ctx: RouterContext, instances: list[ProviderInstance]
) -> SafetyRouter:
    """Build the shields table (config shields vetted by their providers) and the router."""
    providers = implementations(instances, SafetyProvider)
    shields = ShieldsTable(ctx.resources, providers, ctx.access)
    run = ctx.loaded.run
    guarding = {*run.safety.input_shields, *run.safety.output_shields}
    for model in run.all_models():
        guarding.update(model.input_shields, model.output_shields)
    await shields.register_config_shields(run.all_shields(), ctx.loaded.source, frozenset(guarding))
    return SafetyRouter(shields, run.safety.default_shield_id)


SAFETY: RouterSpec[SafetyRouter] = RouterSpec(Api.safety, create_safety_router)
