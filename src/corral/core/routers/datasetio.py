"""The datasetio router: the datasets table (registry resources) and the providers that read them.

A dataset is a ``dataset`` resource of the registry: its id, its provider, and
its purpose, source and metadata. Reads and changes are checked against
access_policy as ``dataset::<id>`` (owned by whoever registered it; datasets of
the run config have no owner). Rows given inline are kept by the provider, not
in the registry, so a dataset's record stays small; its ``source`` then shows
``rows: []``, and the rows are read with iterrows.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from corral.apis.context import RequestContext, User
from corral.apis.datasets.api import DatasetIOProvider, DatasetTarget
from corral.apis.datasets.models import Dataset, RegisterDatasetRequest
from corral.apis.resources import Owner, Resource
from corral.apis.spec import Api
from corral.auth.access_policy import AccessPolicy
from corral.config.issues import ConfigError
from corral.core.resources import ResourceRegistry
from corral.core.routers.spec import RouterContext, RouterSpec, implementations
from corral.errors import CorralError, Forbidden, InvalidParameter, NotFound

if TYPE_CHECKING:
    from corral.core.resolver import ProviderInstance

DATASET = "dataset"
#: Rows one iterrows call returns at most (a client pages on with ``has_more``).
MAX_PAGE = 10000

log = logging.getLogger("corral.datasets")


def _target(res: Resource) -> DatasetTarget:
    data = res.data
    return DatasetTarget(res.identifier, data["purpose"], data["source"], data.get("metadata", {}))


def dataset_object(res: Resource) -> Dataset:
    """The wire object of a dataset resource."""
    return Dataset(
        identifier=res.identifier,
        provider_resource_id=res.provider_resource_id,
        provider_id=res.provider_id,
        owner=res.owner.model_dump() if res.owner else None,
        purpose=res.data["purpose"],
        source=res.data["source"],
        metadata=res.data.get("metadata", {}),
    )


class DatasetIORouter:
    """Datasets by id, each bound to the datasetio provider that reads it."""

    def __init__(
        self,
        registry: ResourceRegistry,
        providers: dict[str, DatasetIOProvider],
        access: AccessPolicy,
    ) -> None:
        self._registry = registry
        self._providers = providers
        self._access = access
        #: Config datasets whose data could not be read at startup (not registered).
        self.unavailable: set[str] = set()

    def _may(self, user: User | None, action: str, res: Resource) -> bool:
        owner = None if res.source == "config" else res.owner
        return self._access.is_allowed(user, action, res.policy_ids, owner)

    def _provider_id(self, wanted: str | None) -> str:
        if wanted is not None:
            if wanted not in self._providers:
                raise InvalidParameter("provider_id", f"one of: {', '.join(self._providers)}")
            return wanted
        if len(self._providers) != 1:
            raise InvalidParameter("provider_id", f"required; one of: {', '.join(self._providers)}")
        return next(iter(self._providers))

    def resolve(self, dataset_id: str, user: User | None, action: str = "read") -> Resource:
        """The dataset a request names (404 when absent or unreadable, 403 for a change)."""
        res = self._registry.get(DATASET, dataset_id)
        if res is None or not self._may(user, "read", res):
            raise NotFound(f"Dataset '{dataset_id}' not found", code="dataset_not_found")
        if action != "read" and not self._may(user, action, res):
            raise Forbidden(f"you may not {action} dataset {dataset_id!r}")
        return res

    async def register(
        self, request: RegisterDatasetRequest, ctx: RequestContext, source: str = "api"
    ) -> Dataset:
        """Vet the dataset with its provider, then add it to the registry."""
        provider_id = self._provider_id(request.provider_id)
        dataset_id = request.dataset_id or f"dataset-{uuid.uuid4().hex[:24]}"
        user = ctx.user
        owner = Owner(principal=user.principal, attributes=dict(user.attributes)) if user else None
        policy = f"{DATASET}::{dataset_id}"
        if source == "api" and not self._access.is_allowed(user, "create", policy, owner):
            raise Forbidden("you may not register datasets")
        data: dict[str, Any] = {
            "purpose": request.purpose,
            "source": request.source.model_dump(),
            "metadata": request.metadata or {},
        }
        existing = self._registry.get(DATASET, dataset_id)
        if existing is not None and source == "api":
            raise InvalidParameter("dataset_id", f"dataset {dataset_id!r} is already registered")
        target = DatasetTarget(dataset_id, request.purpose, data["source"], data["metadata"])
        await self._providers[provider_id].register_dataset(target, ctx)
        if data["source"]["type"] == "rows":
            data["source"] = {"type": "rows", "rows": []}  # the provider keeps them
        res = Resource(
            type=DATASET,
            identifier=dataset_id,
            provider_id=provider_id,
            provider_resource_id=dataset_id,
            source="config" if source == "config" else "api",
            owner=owner if source == "api" else None,
            created=int(time.time()),
            data=data,
        )
        await self._registry.add(res, replace=source == "config")
        return dataset_object(res)

    def get(self, dataset_id: str, user: User | None) -> Dataset:
        """One dataset the caller may read."""
        return dataset_object(self.resolve(dataset_id, user))

    def datasets(self, user: User | None) -> list[Dataset]:
        """The datasets the caller may read."""
        found = self._registry.list(DATASET)
        return [dataset_object(r) for r in found if self._may(user, "read", r)]

    async def unregister(self, dataset_id: str, user: User | None) -> None:
        """Forget a dataset (its appended rows too)."""
        res = self.resolve(dataset_id, user, "delete")
        provider = self._providers.get(res.provider_id)
        if provider is not None:
            await provider.unregister_dataset(_target(res))
        await self._registry.remove(DATASET, dataset_id)

    def _routed(self, res: Resource) -> DatasetIOProvider:
        provider = self._providers.get(res.provider_id)
        if provider is None:
            raise NotFound(
                f"dataset {res.identifier!r} names provider {res.provider_id!r}, which is not "
                "configured",
                code="dataset_not_found",
            )
        return provider

    async def iterrows(
        self, dataset_id: str, start: int | None, limit: int | None, ctx: RequestContext
    ) -> tuple[list[dict[str, Any]], bool]:
        """A page of rows (``limit`` None or -1: every row, up to `MAX_PAGE`)."""
        res = self.resolve(dataset_id, ctx.user)
        start = start or 0
        if start < 0:
            raise InvalidParameter("start_index", "must be 0 or more")
        if limit is None or limit == -1:
            limit = MAX_PAGE
        if not 0 <= limit <= MAX_PAGE:
            raise InvalidParameter("limit", f"must be between 0 and {MAX_PAGE}, or -1")
        return await self._routed(res).iterrows(_target(res), start, limit, ctx)

    async def append_rows(
        self, dataset_id: str, rows: list[dict[str, Any]], ctx: RequestContext
    ) -> None:
        """Add rows to a dataset the caller may update."""
        res = self.resolve(dataset_id, ctx.user, "update")
        await self._routed(res).append_rows(_target(res), rows, ctx)

    async def shutdown(self) -> None:
        """Nothing of its own to release."""


async def create_datasetio_router(
    ctx: RouterContext, instances: list[ProviderInstance]
) -> DatasetIORouter:
    """Build the router and register the run config's datasets."""
    router = DatasetIORouter(
        ctx.resources, implementations(instances, DatasetIOProvider), ctx.access
    )
    run = ctx.loaded.run
    for entry in [*run.datasets, *run.registered_resources.datasets]:
        if entry.source is None or entry.purpose is None:
            continue
        fields = {
            "dataset_id": entry.dataset_id,
            "provider_id": entry.provider_id,
            "purpose": entry.purpose,
            "source": entry.source,
            "metadata": entry.metadata,
        }
        try:
            request = RegisterDatasetRequest.model_validate(fields)
        except ValidationError as exc:
            raise ConfigError.single(
                ctx.loaded.source,
                f"dataset {entry.dataset_id!r} cannot be served: {exc}",
                "fix the dataset's source, purpose or provider",
                ("datasets",),
            ) from None
        try:
            await router.register(request, RequestContext(), source="config")
        except CorralError as exc:
            # The entry is well formed but its data cannot be read here (a Hugging Face
            # dataset not in the local cache, a file not there yet): the server still starts,
            # as Llama Stack's own distribution configs expect, and says which one is missing.
            log.warning("dataset %r is not registered: %s", entry.dataset_id, exc.message)
            router.unavailable.add(entry.dataset_id)
    return router


DATASETIO: RouterSpec[DatasetIORouter] = RouterSpec(Api.datasetio, create_datasetio_router)
