"""The vector stores routing table: store id → (resource, provider), with access checks.

A vector store is a registry resource (``vector_store::<id>``, also matched by
the documented ``vector_db::<id>``) owned by its creator. Creating one picks the
provider and validates the embedding model and its dimension against the
models table (400 on a mismatch). Stores listed in the run config are created
in their provider at startup when missing.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from corral.apis.context import RequestContext, User
from corral.apis.resources import Owner, Resource
from corral.apis.vector_io.api import EmbeddingSpec, VectorIOProvider
from corral.apis.vector_io.models import CreateVectorStoreRequest
from corral.auth.access_policy import AccessPolicy
from corral.config.resources import VectorStoreResource
from corral.config.vector_stores import VectorStoresDefaults
from corral.core.resources import ResourceRegistry
from corral.errors import CorralError, Forbidden, InvalidParameter, NotFound

if TYPE_CHECKING:
    from corral.core.routers.inference import InferenceRouter

log = logging.getLogger("corral.vector_stores")

VECTOR_STORE = "vector_store"
#: The embedded model (``inline::sentence-transformers``): the default wherever it is served.
EMBEDDED_DEFAULT = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class RoutedStore:
    """A store ready to serve: its record and the provider holding it."""

    resource: Resource
    provider: VectorIOProvider


class VectorStoresTable:
    """Vector stores by id, each bound to the vector_io provider that holds it."""

    def __init__(
        self,
        registry: ResourceRegistry,
        providers: dict[str, VectorIOProvider],
        access: AccessPolicy,
        inference: InferenceRouter | None,
        defaults: VectorStoresDefaults | None,
    ) -> None:
        self._registry = registry
        self.providers = providers
        self._access = access
        self._inference = inference
        self._models = inference.models if inference is not None else None
        self._defaults = defaults or VectorStoresDefaults()

    def _may(self, user: User | None, action: str, res: Resource) -> bool:
        owner = None if res.source == "config" else res.owner
        return self._access.is_allowed(user, action, policy_ids(res), owner)

    def resolve(self, store_id: str, user: User | None, action: str = "read") -> RoutedStore:
        """The store, checked for `action` (invisible stores are 404, others 403)."""
        res = self._registry.get(VECTOR_STORE, store_id)
        provider = self.providers.get(res.provider_id) if res is not None else None
        if res is None or provider is None or not self._may(user, "read", res):
            raise NotFound(f"vector store {store_id!r} not found", code="vector_store_not_found")
        if action != "read" and not self._may(user, action, res):
            raise Forbidden(f"not allowed to {action} vector store {store_id!r}")
        return RoutedStore(res, provider)

    def visible(self, user: User | None) -> list[RoutedStore]:
        """Every store the user may read."""
        out = []
        for res in self._registry.list(VECTOR_STORE):
            provider = self.providers.get(res.provider_id)
            if provider is not None and self._may(user, "read", res):
                out.append(RoutedStore(res, provider))
        return out

    def provider_for(self, requested: str | None) -> str:
        """The provider a new store goes to: asked for, configured default, or the only one."""
        chosen = requested or self._defaults.default_provider_id
        if chosen is None and len(self.providers) == 1:
            chosen = next(iter(self.providers))
        if chosen is None or chosen not in self.providers:
            known = ", ".join(self.providers) or "none configured"
            raise InvalidParameter("provider_id", f"name a vector_io provider ({known})")
        return chosen

    async def embedding_for(
        self, model: str | None, dimension: int | None, ctx: RequestContext
    ) -> EmbeddingSpec:
        """The store's embedding model and dimension, validated (400 when they do not fit)."""
        model = model or self._default_embedding_model(ctx.user)
        if model is None:
            raise InvalidParameter(
                "embedding_model",
                "required: no default embedding model is configured (vector_stores."
                "default_embedding_model), all-MiniLM-L6-v2 (inline::sentence-transformers) is "
                "not served and there is not exactly one embedding model",
            )
        if self._models is None:
            raise InvalidParameter("embedding_model", "no inference provider is configured")
        try:
            routed = self._models.resolve(model, ctx.user, want="embedding")
        except CorralError as exc:
            raise InvalidParameter("embedding_model", exc.message) from None
        known = routed.target.metadata.get("embedding_dimension")
        if not isinstance(known, int):
            known = await self._probe_dimension(routed.target.identifier, ctx)
        if dimension is not None and dimension != known:
            raise InvalidParameter(
                "embedding_dimension",
                f"{dimension} does not match model {routed.target.identifier!r}, whose vectors "
                f"have {known} dimensions",
            )
        return EmbeddingSpec(routed.target.identifier, known)

    def _default_embedding_model(self, user: User | None) -> str | None:
        default = self._defaults.default_embedding_model
        if default is not None:
            return default.qualified()
        if self._models is None:
            return None
        found: list[Resource] = [
            r for r in self._models.list(user) if r.data.get("model_type") == "embedding"
        ]
        embedded = [r for r in found if r.provider_resource_id == EMBEDDED_DEFAULT]
        if embedded:
            return embedded[0].identifier
        return found[0].identifier if len(found) == 1 else None

    async def _probe_dimension(self, model: str, ctx: RequestContext) -> int:
        if self._inference is None:
            raise InvalidParameter("embedding_model", "no inference provider is configured")
        response = await self._inference.embeddings(
            {"model": model, "input": ["dimension probe"]}, ctx
        )
        try:
            return len(response["data"][0]["embedding"])
        except (KeyError, IndexError, TypeError):
            raise InvalidParameter(
                "embedding_model", f"model {model!r} returned no usable embedding"
            ) from None

    async def create(
        self, request: CreateVectorStoreRequest, ctx: RequestContext, *, source: str = "api"
    ) -> tuple[Resource, VectorIOProvider]:
        """Register a new store (stamped with its creator) and create it in its provider."""
        metadata = request.metadata or {}
        provider_id = self.provider_for(request.provider_id)
        store_id = request.provider_vector_store_id or f"vs_{uuid.uuid4()}"
        if self._registry.get(VECTOR_STORE, store_id) is not None:
            raise InvalidParameter("provider_vector_store_id", f"{store_id!r} already exists")
        user = ctx.user
        owner = Owner(principal=user.principal, attributes=dict(user.attributes)) if user else None
        res = Resource(
            type=VECTOR_STORE,
            identifier=store_id,
            provider_id=provider_id,
            provider_resource_id=store_id,
            source=source,  # type: ignore[arg-type]
            owner=owner if source == "api" else None,
            created=int(time.time()),
        )
        if not self._access.is_allowed(user, "create", policy_ids(res), owner):
            raise Forbidden("not allowed to create vector stores")
        dimension = metadata.get("embedding_dimension") or request.embedding_dimension
        embedding = await self.embedding_for(
            metadata.get("embedding_model") or request.embedding_model,
            int(dimension) if dimension is not None else None,
            ctx,
        )
        res = res.model_copy(
            update={"data": {"embedding_model": embedding.model, "dimension": embedding.dimension}}
        )
        provider = self.providers[provider_id]
        await provider.create_vector_store(store_id, request, embedding, ctx)
        await self._registry.add(res)
        return res, provider

    async def remove(self, store_id: str) -> None:
        """Unregister a store (its provider has already deleted it)."""
        await self._registry.remove(VECTOR_STORE, store_id)

    async def register_config_stores(self, stores: list[VectorStoreResource]) -> None:
        """Create the run config's stores where missing and register them as shared."""
        for entry in stores:
            store_id = entry.vector_store_id
            provider_id = self.provider_for(entry.provider_id)
            provider = self.providers[provider_id]
            if not await provider.has_vector_store(store_id):
                request = CreateVectorStoreRequest(
                    name=entry.vector_store_name or store_id,
                    embedding_model=entry.embedding_model,
                    embedding_dimension=entry.embedding_dimension,
                    provider_id=provider_id,
                    provider_vector_store_id=store_id,
                )
                spec = await self.embedding_for(
                    entry.embedding_model, entry.embedding_dimension, RequestContext()
                )
                await provider.create_vector_store(store_id, request, spec, RequestContext())
            res = Resource(
                type=VECTOR_STORE,
                identifier=store_id,
                provider_id=provider_id,
                provider_resource_id=store_id,
                source="config",
                created=int(time.time()),
            )
            await self._registry.add(res, replace=True)


def policy_ids(res: Resource) -> tuple[str, ...]:
    """``vector_store::<id>`` and the documented ``vector_db::<id>``."""
    return (f"{VECTOR_STORE}::{res.identifier}", f"vector_db::{res.identifier}")
