"""The scoring router: scoring functions (registry resources) and the providers that score.

Each provider's built-in functions are registered when the router is built
(``basic::equality``, ``llm-as-judge::base``, ...), then the run config's
``scoring_fns``; users register more over the API, checked by the provider
first. Functions are read and changed under access_policy as
``scoring_function::<id>``. Scoring a dataset reads its rows through the
datasetio router (as the caller, so its access rules apply).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from corral.apis.context import RequestContext, User
from corral.apis.resources import Owner, Resource, ResourceSource
from corral.apis.scoring.api import ScoringFnTarget, ScoringProvider
from corral.apis.scoring.models import (
    RegisterScoringFunctionRequest,
    ScoreBatchResponse,
    ScoreResponse,
    ScoringFn,
    ScoringResult,
)
from corral.apis.spec import Api
from corral.auth.access_policy import AccessPolicy
from corral.config.issues import ConfigError
from corral.core.resources import ResourceRegistry
from corral.core.routers.datasetio import DATASETIO, MAX_PAGE, DatasetIORouter
from corral.core.routers.spec import RouterContext, RouterSpec, implementations
from corral.errors import CorralError, Forbidden, InvalidParameter, NotFound

if TYPE_CHECKING:
    from corral.core.resolver import ProviderInstance

FUNCTION = "scoring_function"
#: Rows one score-batch call reads from a dataset at most.
MAX_BATCH_ROWS = 100_000


def function_object(res: Resource) -> ScoringFn:
    """The wire object of a scoring function resource."""
    data = res.data
    return ScoringFn.model_validate(
        {
            "identifier": res.identifier,
            "provider_resource_id": res.provider_resource_id,
            "provider_id": res.provider_id,
            "description": data.get("description"),
            "return_type": data.get("return_type") or {"type": "number"},
            "params": data.get("params"),
        }
    )


def _target(res: Resource, override: dict[str, Any] | None = None) -> ScoringFnTarget:
    params = dict(res.data.get("params") or {})
    if override:
        params.update(override)
    return ScoringFnTarget(
        res.identifier, res.provider_resource_id, params or None, res.data.get("description")
    )


class ScoringRouter:
    """Scoring functions by id, each bound to the provider that implements it."""

    def __init__(
        self,
        registry: ResourceRegistry,
        providers: dict[str, ScoringProvider],
        access: AccessPolicy,
        datasets: DatasetIORouter | None,
    ) -> None:
        self._registry = registry
        self._providers = providers
        self._access = access
        self._datasets = datasets

    async def register_builtins(self) -> None:
        """Register each provider's built-in functions (replacing older copies)."""
        for provider_id, provider in self._providers.items():
            for fn in provider.builtin_functions():
                await self._registry.add(self._resource(fn, provider_id, "provider"), replace=True)

    def _resource(
        self,
        fn: ScoringFnTarget,
        provider_id: str,
        source: ResourceSource,
        owner: Owner | None = None,
    ) -> Resource:
        data = {"description": fn.description, "params": fn.params, "return_type": fn.return_type}
        return Resource(
            type=FUNCTION,
            identifier=fn.scoring_fn_id,
            provider_id=provider_id,
            provider_resource_id=fn.kind,
            source=source,
            owner=owner,
            created=int(time.time()),
            data=data,
        )

    def _may(self, user: User | None, action: str, res: Resource) -> bool:
        owner = None if res.source != "api" else res.owner
        return self._access.is_allowed(user, action, res.policy_ids, owner)

    def resolve(self, fn_id: str, user: User | None, action: str = "read") -> Resource:
        """The function a request names (404 when absent or unreadable)."""
        res = self._registry.get(FUNCTION, fn_id)
        if res is None or not self._may(user, "read", res):
            raise NotFound(f"Scoring function '{fn_id}' not found", code="scoring_fn_not_found")
        if action != "read" and not self._may(user, action, res):
            raise Forbidden(f"you may not {action} scoring function {fn_id!r}")
        return res

    def functions(self, user: User | None) -> list[ScoringFn]:
        """The functions the caller may read."""
        found = self._registry.list(FUNCTION)
        return [function_object(r) for r in found if self._may(user, "read", r)]

    def _provider_for(self, request: RegisterScoringFunctionRequest) -> str:
        if request.provider_id is not None:
            if request.provider_id not in self._providers:
                raise InvalidParameter("provider_id", f"one of: {', '.join(self._providers)}")
            return request.provider_id
        kind = request.params.type if request.params is not None else None
        for provider_id, provider in self._providers.items():
            builtins = {f.kind for f in provider.builtin_functions()}
            if (
                request.provider_scoring_fn_id in builtins
                or (kind == "llm_as_judge" and "llm-as-judge" in builtins)
                or (kind == "regex_parser" and "regex-parser" in builtins)
            ):
                return provider_id
        raise InvalidParameter("provider_id", f"required; one of: {', '.join(self._providers)}")

    async def register(
        self,
        request: RegisterScoringFunctionRequest,
        user: User | None,
        source: ResourceSource = "api",
    ) -> ScoringFn:
        """Vet a function with its provider and add it."""
        provider_id = self._provider_for(request)
        params = request.params.model_dump() if request.params is not None else None
        kind = request.provider_scoring_fn_id or _kind_of(params)
        fn = ScoringFnTarget(request.scoring_fn_id, kind, params, request.description)
        self._providers[provider_id].check_function(fn)
        owner = Owner(principal=user.principal, attributes=dict(user.attributes)) if user else None
        if source == "api":
            if not self._access.is_allowed(
                user, "create", f"{FUNCTION}::{fn.scoring_fn_id}", owner
            ):
                raise Forbidden("you may not register scoring functions")
            if self._registry.get(FUNCTION, fn.scoring_fn_id) is not None:
                raise InvalidParameter(
                    "scoring_fn_id", f"{fn.scoring_fn_id!r} is already registered"
                )
        res = self._resource(fn, provider_id, source, owner if source == "api" else None)
        await self._registry.add(res, replace=source != "api")
        return function_object(res)

    async def unregister(self, fn_id: str, user: User | None) -> None:
        """Remove a function registered over the API (built-ins stay)."""
        res = self.resolve(fn_id, user, "delete")
        if res.source != "api":
            raise InvalidParameter("scoring_fn_id", f"{fn_id!r} is built in or from the config")
        await self._registry.remove(FUNCTION, fn_id)

    async def score(
        self,
        rows: list[dict[str, Any]],
        functions: dict[str, dict[str, Any] | None],
        ctx: RequestContext,
    ) -> ScoreResponse:
        """Score `rows` with each named function (its params, overridden by the request's)."""
        if not functions:
            raise InvalidParameter("scoring_functions", "name at least one scoring function")
        results: dict[str, ScoringResult] = {}
        for fn_id, override in functions.items():
            res = self.resolve(fn_id, ctx.user)
            provider = self._providers.get(res.provider_id)
            if provider is None:
                raise NotFound(f"scoring function {fn_id!r} names an unconfigured provider")
            results[fn_id] = await provider.score(rows, _target(res, override), ctx)
        return ScoreResponse(results=results)

    async def score_batch(
        self,
        dataset_id: str,
        functions: dict[str, dict[str, Any] | None],
        ctx: RequestContext,
    ) -> ScoreBatchResponse:
        """Score every row of a dataset (up to `MAX_BATCH_ROWS`)."""
        if self._datasets is None:
            raise InvalidParameter("dataset_id", "this server has no datasetio provider")
        rows: list[dict[str, Any]] = []
        more = True
        while more and len(rows) < MAX_BATCH_ROWS:
            page, more = await self._datasets.iterrows(dataset_id, len(rows), MAX_PAGE, ctx)
            rows += page
        scored = await self.score(rows, functions, ctx)
        return ScoreBatchResponse(dataset_id=dataset_id, results=scored.results)

    async def shutdown(self) -> None:
        """Nothing of its own to release."""


def _kind_of(params: dict[str, Any] | None) -> str:
    kind = (params or {}).get("type")
    return {"llm_as_judge": "llm-as-judge", "regex_parser": "regex-parser"}.get(
        str(kind), "equality"
    )


async def create_scoring_router(
    ctx: RouterContext, instances: list[ProviderInstance]
) -> ScoringRouter:
    """Build the router, register built-ins and the run config's scoring functions."""
    router = ScoringRouter(
        ctx.resources,
        implementations(instances, ScoringProvider),
        ctx.access,
        ctx.routers.get(DATASETIO),
    )
    await router.register_builtins()
    run = ctx.loaded.run
    for entry in [*run.scoring_fns, *run.registered_resources.scoring_fns]:
        fields = {
            "scoring_fn_id": entry.scoring_fn_id,
            "description": entry.description or entry.scoring_fn_id,
            "provider_id": entry.provider_id,
            "provider_scoring_fn_id": entry.provider_scoring_fn_id,
            "params": entry.params,
        }
        try:
            request = RegisterScoringFunctionRequest.model_validate(fields)
            await router.register(request, None, source="config")
        except (CorralError, ValidationError) as exc:
            problem = exc.message if isinstance(exc, CorralError) else str(exc)
            raise ConfigError.single(
                ctx.loaded.source,
                f"scoring function {entry.scoring_fn_id!r} cannot be served: {problem}",
                "fix its provider_id, provider_scoring_fn_id or params",
                ("scoring_fns",),
            ) from None
    return router


SCORING: RouterSpec[ScoringRouter] = RouterSpec(Api.scoring, create_scoring_router)
