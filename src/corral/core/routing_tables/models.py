"""The models routing table: model id → (resource, provider), with access checks.

Lookups are on the request path: a dict hit plus one access-policy check. The
table is rebuilt from the resource registry whenever a model is registered or
removed, so requests never touch the metadata store.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from corral.apis.context import User
from corral.apis.inference.api import InferenceProvider, ModelTarget
from corral.apis.models.models import RegisterModelRequest
from corral.apis.resources import Owner, Resource
from corral.auth.access_policy import AccessPolicy
from corral.config.resources import ModelResource
from corral.core.resources import ResourceRegistry
from corral.errors import Forbidden, InvalidParameter, InvalidRequest, NotFound

log = logging.getLogger("corral.models")

MODEL = "model"


@dataclass(frozen=True)
class RoutedModel:
    """A model ready to serve: its record, what the provider sees, and the provider."""

    resource: Resource
    target: ModelTarget
    provider: InferenceProvider


def model_identifier(provider_id: str, provider_model_id: str) -> str:
    """The public id: ``provider_id/provider_model_id``."""
    return f"{provider_id}/{provider_model_id}"


class ModelsTable:
    """Models by public id, each bound to the inference provider that serves it."""

    def __init__(
        self,
        registry: ResourceRegistry,
        providers: dict[str, InferenceProvider],
        access: AccessPolicy,
    ) -> None:
        self._registry = registry
        self._providers = providers
        self._access = access
        self._routes: dict[str, RoutedModel] = {}
        self._by_provider_model: dict[str, list[str]] = {}

    def rebuild(self) -> None:
        """Recompute the lookup dicts from the registry."""
        routes: dict[str, RoutedModel] = {}
        aliases: dict[str, list[str]] = {}
        for res in self._registry.list(MODEL):
            provider = self._providers.get(res.provider_id)
            if provider is None:
                log.warning(
                    "model %s names provider %r, which is not configured",
                    res.identifier,
                    res.provider_id,
                )
                continue
            target = ModelTarget(
                identifier=res.identifier,
                provider_model_id=res.provider_resource_id,
                model_type=res.data.get("model_type", "llm"),
                metadata=res.data.get("metadata", {}),
            )
            routes[res.identifier] = RoutedModel(res, target, provider)
            for alias in {res.provider_resource_id, res.data.get("model_id", "")} - {""}:
                aliases.setdefault(alias, []).append(res.identifier)
        self._routes, self._by_provider_model = routes, aliases

    def default_provider(self) -> str | None:
        """The only inference provider's id, or None when there are several."""
        return next(iter(self._providers)) if len(self._providers) == 1 else None

    async def register_config_models(self, models: list[ModelResource]) -> None:
        """Apply the run config's models: add or refresh them, drop stale config entries."""
        wanted: set[str] = set()
        for model in models:
            provider_id = model.provider_id or self.default_provider()
            if provider_id is None:
                continue  # the loader already reported this
            provider_model_id = model.provider_model_id or model.model_id
            res = _resource(
                model.model_id,
                provider_id,
                provider_model_id,
                model.model_type,
                model.metadata,
                "config",
                None,
            )
            wanted.add(res.identifier)
            await self._registry.add(res, replace=True)
        for res in self._registry.list(MODEL):
            if res.source == "config" and res.identifier not in wanted:
                await self._registry.remove(MODEL, res.identifier)
        self.rebuild()

    async def discover(self) -> None:
        """Register what providers with ``refresh_models`` report (failures are warnings)."""
        for provider_id, provider in self._providers.items():
            if not getattr(provider, "refresh_models", False):
                continue
            try:
                found = await provider.list_models()
            except Exception as exc:
                log.warning("could not list models of provider %r: %s", provider_id, exc)
                continue
            for model in found:
                ident = model_identifier(provider_id, model.provider_model_id)
                if self._registry.get(MODEL, ident) is None:
                    res = _resource(
                        model.provider_model_id,
                        provider_id,
                        model.provider_model_id,
                        model.model_type,
                        model.metadata,
                        "provider",
                        None,
                    )
                    await self._registry.add(res)
        self.rebuild()

    def resolve(self, model_id: Any, user: User | None, want: str | None = None) -> RoutedModel:
        """The routed model a request names, checked for read access and type."""
        if not isinstance(model_id, str) or not model_id:
            raise InvalidParameter("model", "a model id (string) is required")
        routed = self._routes.get(model_id)
        if routed is None:
            candidates = self._by_provider_model.get(model_id, [])
            if len(candidates) == 1:
                routed = self._routes[candidates[0]]
        if routed is None or not self._may(user, "read", routed.resource):
            raise NotFound(
                f"model {model_id!r} not found; GET /v1/models lists the available models",
                code="model_not_found",
            )
        if want is not None and routed.target.model_type != want:
            raise InvalidRequest(
                f"model {model_id!r} is a {routed.target.model_type} model; this endpoint needs "
                f"a {want} model",
                code="wrong_model_type",
            )
        return routed

    def list(self, user: User | None) -> list[Resource]:
        """Models the user may read."""
        return [r.resource for r in self._routes.values() if self._may(user, "read", r.resource)]

    async def register(self, request: RegisterModelRequest, user: User | None) -> Resource:
        """Register a model over the API (stamped with its creator)."""
        provider_id = request.provider_id or self.default_provider()
        if provider_id is None:
            raise InvalidParameter("provider_id", f"required; one of: {', '.join(self._providers)}")
        if provider_id not in self._providers:
            raise InvalidParameter(
                "provider_id",
                f"no inference provider {provider_id!r}; one of: {', '.join(self._providers)}",
            )
        owner = Owner(principal=user.principal, attributes=dict(user.attributes)) if user else None
        res = _resource(
            request.model_id,
            provider_id,
            request.provider_model_id or request.model_id,
            request.model_type,
            request.metadata,
            "api",
            owner,
        )
        if not self._access.is_allowed(user, "create", res.policy_ids, owner):
            raise Forbidden(f"not allowed to register model {res.identifier!r}")
        await self._registry.add(res)
        self.rebuild()
        return res

    async def unregister(self, model_id: str, user: User | None) -> None:
        """Remove a model (not allowed for models the run config defines)."""
        res = self.resolve(model_id, user).resource
        if not self._may(user, "delete", res):
            raise Forbidden(f"not allowed to delete model {res.identifier!r}")
        if res.source == "config":
            raise InvalidRequest(
                f"model {res.identifier!r} is defined in the run config; remove it there"
            )
        await self._registry.remove(MODEL, res.identifier)
        self.rebuild()

    def _may(self, user: User | None, action: str, res: Resource) -> bool:
        owner = None if res.source == "config" else res.owner
        return self._access.is_allowed(user, action, res.policy_ids, owner)


def _resource(
    model_id: str,
    provider_id: str,
    provider_model_id: str,
    model_type: str,
    metadata: dict[str, Any],
    source: str,
    owner: Owner | None,
) -> Resource:
    return Resource(
        type=MODEL,
        identifier=model_identifier(provider_id, provider_model_id),
        provider_id=provider_id,
        provider_resource_id=provider_model_id,
        source=source,  # type: ignore[arg-type]
        owner=owner,
        created=int(time.time()),
        data={"model_type": model_type, "metadata": metadata, "model_id": model_id},
    )
