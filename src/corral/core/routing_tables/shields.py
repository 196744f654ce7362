"""The shields routing table: shield id → (resource, provider), with access checks.

Shields are identified by their ``shield_id`` (Llama Stack's convention), not
by ``provider_id/...``. Like the models table, lookups are dict hits rebuilt
from the resource registry on every change. A provider vets each shield before
it is registered (a Llama Guard shield must name a served model, a Bedrock one
needs its guardrail version); for shields of the run config a refusal stops
startup with the reason.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from corral.apis.context import User
from corral.apis.resources import Owner, Resource
from corral.apis.safety.api import SafetyProvider, ShieldTarget
from corral.apis.safety.models import RegisterShieldRequest
from corral.auth.access_policy import AccessPolicy
from corral.config.issues import ConfigError
from corral.config.resources import ShieldResource
from corral.core.resources import ResourceRegistry
from corral.errors import Forbidden, InvalidParameter, InvalidRequest, NotFound

log = logging.getLogger("corral.shields")

SHIELD = "shield"


@dataclass(frozen=True)
class RoutedShield:
    """A shield ready to run: its record, what the provider sees, and the provider."""

    resource: Resource
    target: ShieldTarget
    provider: SafetyProvider


class ShieldsTable:
    """Shields by id, each bound to the safety provider that serves it."""

    def __init__(
        self,
        registry: ResourceRegistry,
        providers: dict[str, SafetyProvider],
        access: AccessPolicy,
    ) -> None:
        self._registry = registry
        self._providers = providers
        self._access = access
        self._routes: dict[str, RoutedShield] = {}

    def rebuild(self) -> None:
        """Recompute the lookup dict from the registry."""
        routes: dict[str, RoutedShield] = {}
        for res in self._registry.list(SHIELD):
            provider = self._providers.get(res.provider_id)
            if provider is None:
                log.warning(
                    "shield %s names provider %r, which is not configured",
                    res.identifier,
                    res.provider_id,
                )
                continue
            routes[res.identifier] = RoutedShield(res, _target(res), provider)
        self._routes = routes

    def default_provider(self) -> str | None:
        """The only safety provider's id, or None when there are several."""
        return next(iter(self._providers)) if len(self._providers) == 1 else None

    async def register_config_shields(
        self, shields: list[ShieldResource], source: str, guarding: frozenset[str] = frozenset()
    ) -> None:
        """Apply the run config's shields: vet and add them, drop stale config entries.

        A shield that cannot be served stops startup when it guards something (it is in
        `guarding`: safety's input/output shields or a model's); one that guards nothing
        is skipped with a warning, as Llama Stack's layouts list shields whose model the
        operator registers later.
        """
        wanted: set[str] = set()
        for shield in shields:
            provider_id = shield.provider_id or self.default_provider()
            if provider_id is None or provider_id not in self._providers:
                continue  # the loader already reported this
            res = _resource(
                shield.shield_id,
                provider_id,
                shield.provider_shield_id or shield.shield_id,
                shield.params,
                "config",
                None,
            )
            try:
                await self._providers[provider_id].register_shield(_target(res))
            except InvalidParameter as exc:
                if shield.shield_id not in guarding:
                    log.warning(
                        "shield %r is not served: %s (it guards nothing, so the server starts)",
                        shield.shield_id,
                        exc.message,
                    )
                    continue
                raise ConfigError.single(
                    source,
                    f"shield {shield.shield_id!r} cannot be served: {exc.message}",
                    "fix the shield or its provider",
                    ("shields",),
                ) from None
            wanted.add(res.identifier)
            await self._registry.add(res, replace=True)
        for res in self._registry.list(SHIELD):
            if res.source == "config" and res.identifier not in wanted:
                await self._registry.remove(SHIELD, res.identifier)
        self.rebuild()

    def resolve(self, shield_id: Any, user: User | None) -> RoutedShield:
        """The shield a request names, checked for read access."""
        if not isinstance(shield_id, str) or not shield_id:
            raise InvalidParameter("shield_id", "a shield id (string) is required")
        routed = self._routes.get(shield_id)
        if routed is None or not self._may(user, "read", routed.resource):
            raise NotFound(
                f"shield {shield_id!r} not found; GET /v1/shields lists the available shields",
                code="shield_not_found",
            )
        return routed

    def for_moderation(self, model: str, user: User | None) -> RoutedShield:
        """The shield a moderation ``model`` names: a shield id, or a unique provider_shield_id."""
        routed = self._routes.get(model)
        if routed is None:
            matches = [
                r
                for r in self._routes.values()
                if r.target.provider_shield_id == model and self._may(user, "read", r.resource)
            ]
            if len(matches) > 1:
                names = ", ".join(sorted(r.resource.identifier for r in matches))
                raise InvalidParameter(
                    "model", f"{model!r} is the model of several shields ({names}); name one"
                )
            routed = matches[0] if matches else None
        if routed is None or not self._may(user, "read", routed.resource):
            raise NotFound(
                f"no shield {model!r} for moderation; GET /v1/shields lists the shields",
                code="shield_not_found",
            )
        return routed

    def get(self, shield_id: str) -> RoutedShield | None:
        """The shield without any access check (for server-side guards)."""
        return self._routes.get(shield_id)

    def list(self, user: User | None) -> list[Resource]:
        """Shields the user may read."""
        return [r.resource for r in self._routes.values() if self._may(user, "read", r.resource)]

    async def register(self, request: RegisterShieldRequest, user: User | None) -> Resource:
        """Register a shield over the API (stamped with its creator)."""
        provider_id = request.provider_id or self.default_provider()
        choices = ", ".join(self._providers) or "none configured"
        if provider_id is None:
            raise InvalidParameter("provider_id", f"required; one of: {choices}")
        if provider_id not in self._providers:
            raise InvalidParameter(
                "provider_id", f"no safety provider {provider_id!r}; one of: {choices}"
            )
        owner = Owner(principal=user.principal, attributes=dict(user.attributes)) if user else None
        res = _resource(
            request.shield_id,
            provider_id,
            request.provider_shield_id or request.shield_id,
            request.params or {},
            "api",
            owner,
        )
        if not self._access.is_allowed(user, "create", res.policy_ids, owner):
            raise Forbidden(f"not allowed to register shield {res.identifier!r}")
        await self._providers[provider_id].register_shield(_target(res))
        await self._registry.add(res)
        self.rebuild()
        return res

    async def unregister(self, shield_id: str, user: User | None) -> None:
        """Remove a shield (not allowed for shields the run config defines)."""
        res = self.resolve(shield_id, user).resource
        if not self._may(user, "delete", res):
            raise Forbidden(f"not allowed to delete shield {res.identifier!r}")
        if res.source == "config":
            raise InvalidRequest(
                f"shield {res.identifier!r} is defined in the run config; remove it there"
            )
        await self._registry.remove(SHIELD, res.identifier)
        self.rebuild()

    def _may(self, user: User | None, action: str, res: Resource) -> bool:
        owner = None if res.source == "config" else res.owner
        return self._access.is_allowed(user, action, res.policy_ids, owner)


def _target(res: Resource) -> ShieldTarget:
    return ShieldTarget(res.identifier, res.provider_resource_id, res.data.get("params", {}))


def _resource(
    shield_id: str,
    provider_id: str,
    provider_shield_id: str,
    params: dict[str, Any],
    source: str,
    owner: Owner | None,
) -> Resource:
    return Resource(
        type=SHIELD,
        identifier=shield_id,
        provider_id=provider_id,
        provider_resource_id=provider_shield_id,
        source=source,  # type: ignore[arg-type]
        owner=owner,
        created=int(time.time()),
        data={"params": params},
    )
