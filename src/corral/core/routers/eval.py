"""The eval router: benchmarks (registry resources) and the eval providers that run them.

A benchmark names a dataset and scoring functions; both must exist (and be
readable by whoever registers it). Benchmarks are read and changed under
access_policy as ``benchmark::<id>``; a job is the provider's, owner-stamped
with whoever started it.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from corral.apis.context import RequestContext, User
from corral.apis.eval.api import BenchmarkTarget, EvalProvider
from corral.apis.eval.models import (
    Benchmark,
    BenchmarkConfig,
    EvaluateResponse,
    Job,
    RegisterBenchmarkRequest,
)
from corral.apis.resources import Owner, Resource, ResourceSource
from corral.apis.spec import Api
from corral.auth.access_policy import AccessPolicy
from corral.config.issues import ConfigError
from corral.core.resources import ResourceRegistry
from corral.core.routers.datasetio import DATASETIO, DatasetIORouter
from corral.core.routers.scoring import SCORING, ScoringRouter
from corral.core.routers.spec import RouterContext, RouterSpec, implementations
from corral.errors import CorralError, Forbidden, InvalidParameter, NotFound

if TYPE_CHECKING:
    from corral.core.resolver import ProviderInstance

BENCHMARK = "benchmark"

log = logging.getLogger("corral.eval")


def benchmark_object(res: Resource) -> Benchmark:
    """The wire object of a benchmark resource."""
    return Benchmark(
        identifier=res.identifier,
        provider_resource_id=res.provider_resource_id,
        provider_id=res.provider_id,
        dataset_id=res.data["dataset_id"],
        scoring_functions=res.data["scoring_functions"],
        metadata=res.data.get("metadata") or {},
    )


def _target(res: Resource) -> BenchmarkTarget:
    data = res.data
    return BenchmarkTarget(
        res.identifier, data["dataset_id"], data["scoring_functions"], data.get("metadata") or {}
    )


class EvalRouter:
    """Benchmarks by id, each bound to the eval provider that runs it."""

    def __init__(
        self,
        registry: ResourceRegistry,
        providers: dict[str, EvalProvider],
        access: AccessPolicy,
        datasets: DatasetIORouter | None,
        scoring: ScoringRouter | None,
    ) -> None:
        self._registry = registry
        self._providers = providers
        self._access = access
        self._datasets = datasets
        self._scoring = scoring

    def _may(self, user: User | None, action: str, res: Resource) -> bool:
        owner = None if res.source == "config" else res.owner
        return self._access.is_allowed(user, action, res.policy_ids, owner)

    def resolve(self, benchmark_id: str, user: User | None, action: str = "read") -> Resource:
        """The benchmark a request names (404 when absent or unreadable)."""
        res = self._registry.get(BENCHMARK, benchmark_id)
        if res is None or not self._may(user, "read", res):
            raise NotFound(f"Benchmark '{benchmark_id}' not found", code="benchmark_not_found")
        if action != "read" and not self._may(user, action, res):
            raise Forbidden(f"you may not {action} benchmark {benchmark_id!r}")
        return res

    def benchmarks(self, user: User | None) -> list[Benchmark]:
        """The benchmarks the caller may read."""
        found = self._registry.list(BENCHMARK)
        return [benchmark_object(r) for r in found if self._may(user, "read", r)]

    def _check_parts(self, request: RegisterBenchmarkRequest, user: User | None) -> None:
        if self._datasets is None or self._scoring is None:
            raise InvalidParameter(
                "dataset_id", "benchmarks need a datasetio and a scoring provider"
            )
        self._datasets.resolve(request.dataset_id, user)
        for fn in request.scoring_functions:
            self._scoring.resolve(fn, user)

    async def register(
        self, request: RegisterBenchmarkRequest, user: User | None, source: ResourceSource = "api"
    ) -> Benchmark:
        """Add a benchmark whose dataset and scoring functions exist."""
        if request.provider_id is not None and request.provider_id not in self._providers:
            raise InvalidParameter("provider_id", f"one of: {', '.join(self._providers)}")
        provider_id = request.provider_id or next(iter(self._providers))
        owner = Owner(principal=user.principal, attributes=dict(user.attributes)) if user else None
        if source == "api":
            policy = f"{BENCHMARK}::{request.benchmark_id}"
            if not self._access.is_allowed(user, "create", policy, owner):
                raise Forbidden("you may not register benchmarks")
            if self._registry.get(BENCHMARK, request.benchmark_id) is not None:
                raise InvalidParameter(
                    "benchmark_id", f"{request.benchmark_id!r} is already registered"
                )
        self._check_parts(request, user)
        res = Resource(
            type=BENCHMARK,
            identifier=request.benchmark_id,
            provider_id=provider_id,
            provider_resource_id=request.provider_benchmark_id or request.benchmark_id,
            source=source,
            owner=owner if source == "api" else None,
            created=int(time.time()),
            data={
                "dataset_id": request.dataset_id,
                "scoring_functions": request.scoring_functions,
                "metadata": request.metadata or {},
            },
        )
        await self._registry.add(res, replace=source != "api")
        return benchmark_object(res)

    async def unregister(self, benchmark_id: str, user: User | None) -> None:
        """Forget a benchmark (its jobs stay readable)."""
        self.resolve(benchmark_id, user, "delete")
        await self._registry.remove(BENCHMARK, benchmark_id)

    def _provider(self, res: Resource) -> EvalProvider:
        provider = self._providers.get(res.provider_id)
        if provider is None:
            raise NotFound(f"benchmark {res.identifier!r} names an unconfigured eval provider")
        return provider

    async def run_eval(
        self, benchmark_id: str, config: BenchmarkConfig, ctx: RequestContext
    ) -> Job:
        """Start a job."""
        res = self.resolve(benchmark_id, ctx.user)
        return await self._provider(res).run_eval(_target(res), config, ctx)

    async def evaluate_rows(
        self,
        benchmark_id: str,
        rows: list[dict[str, Any]],
        functions: list[str],
        config: BenchmarkConfig,
        ctx: RequestContext,
    ) -> EvaluateResponse:
        """Generate and score `rows` now."""
        res = self.resolve(benchmark_id, ctx.user)
        return await self._provider(res).evaluate_rows(_target(res), rows, functions, config, ctx)

    def job_provider(self, benchmark_id: str, user: User | None) -> EvalProvider:
        """The provider holding a benchmark's jobs (the benchmark may be unregistered since)."""
        res = self._registry.get(BENCHMARK, benchmark_id)
        if res is not None and self._may(user, "read", res):
            return self._provider(res)
        return next(iter(self._providers.values()))

    async def shutdown(self) -> None:
        """Stop the providers' running jobs first, while the routers they use still work.

        (The stack stops providers after every router; a job cut short there
        would meet routers already shut down. A provider's shutdown is idempotent.)
        """
        for provider in self._providers.values():
            await provider.shutdown()


async def create_eval_router(ctx: RouterContext, instances: list[ProviderInstance]) -> EvalRouter:
    """Build the router and register the run config's benchmarks."""
    router = EvalRouter(
        ctx.resources,
        implementations(instances, EvalProvider),
        ctx.access,
        ctx.routers.get(DATASETIO),
        ctx.routers.get(SCORING),
    )
    run = ctx.loaded.run
    datasets = ctx.routers.get(DATASETIO)
    unavailable = datasets.unavailable if datasets is not None else set()
    for entry in [*run.benchmarks, *run.registered_resources.benchmarks]:
        if entry.dataset_id is None:
            continue
        if entry.dataset_id in unavailable:  # its dataset's data is missing: said at startup
            log.warning(
                "benchmark %r is not registered: its dataset %r is not available",
                entry.benchmark_id,
                entry.dataset_id,
            )
            continue
        fields = {
            "benchmark_id": entry.benchmark_id,
            "dataset_id": entry.dataset_id,
            "scoring_functions": entry.scoring_functions,
            "provider_id": entry.provider_id,
            "metadata": entry.metadata,
        }
        try:
            request = RegisterBenchmarkRequest.model_validate(fields)
            await router.register(request, None, source="config")
        except (CorralError, ValidationError) as exc:
            problem = exc.message if isinstance(exc, CorralError) else str(exc)
            raise ConfigError.single(
                ctx.loaded.source,
                f"benchmark {entry.benchmark_id!r} cannot be served: {problem}",
                "name a registered dataset and scoring functions",
                ("benchmarks",),
            ) from None
    return router


EVAL: RouterSpec[EvalRouter] = RouterSpec(Api.eval, create_eval_router)
