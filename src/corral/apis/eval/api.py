"""What an eval provider implements (``providers.eval``, e.g. ``inline::builtin``).

Benchmarks are registry resources (the eval router checks access_policy and
resolves them); the provider runs jobs, which must persist and resume after a
restart, and evaluates rows synchronously.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from corral.apis.context import RequestContext
from corral.apis.eval.models import BenchmarkConfig, EvaluateResponse, Job


@dataclass(frozen=True)
class BenchmarkTarget:
    """A registered benchmark as its provider sees it."""

    benchmark_id: str
    dataset_id: str
    scoring_functions: list[str]
    metadata: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class EvalProvider(Protocol):
    """Runs candidates over benchmarks."""

    async def run_eval(
        self, benchmark: BenchmarkTarget, config: BenchmarkConfig, ctx: RequestContext
    ) -> Job:
        """Record a job (``scheduled``) and start it in the background."""
        ...

    async def job_status(self, benchmark_id: str, job_id: str, ctx: RequestContext) -> Job:
        """A job's status and progress (404 when absent or not the caller's)."""
        ...

    async def job_cancel(self, benchmark_id: str, job_id: str, ctx: RequestContext) -> Job:
        """Stop a job that has not finished."""
        ...

    async def job_result(
        self, benchmark_id: str, job_id: str, ctx: RequestContext
    ) -> EvaluateResponse:
        """The generations and scores of a completed job (409 before that)."""
        ...

    async def evaluate_rows(
        self,
        benchmark: BenchmarkTarget,
        rows: list[dict[str, Any]],
        scoring_functions: list[str],
        config: BenchmarkConfig,
        ctx: RequestContext,
    ) -> EvaluateResponse:
        """Generate answers for `rows` and score them, in the request."""
        ...

    async def shutdown(self) -> None:
        """Stop running jobs (they resume on the next start)."""
        ...
