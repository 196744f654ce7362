"""`BuiltinEval`: the eval calls, and the loop that finds jobs to run.

As the batches provider does: starting a job records it and wakes the loop;
the loop (also every ``poll_interval_seconds``) claims unfinished jobs whose
lease ran out while it has a free slot. Stopping cancels the runs; each
writes the rows it generated and releases its lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any

from corral.apis.context import RequestContext
from corral.apis.eval.api import BenchmarkTarget
from corral.apis.eval.models import BenchmarkConfig, EvaluateResponse, Job
from corral.apis.scoring.models import ScoringResult
from corral.core.routers.datasetio import DatasetIORouter
from corral.core.routers.scoring import ScoringRouter
from corral.errors import Conflict
from corral.providers.inline.eval.builtin.config import BuiltinEvalConfig
from corral.providers.inline.eval.builtin.generate import Generator
from corral.providers.inline.eval.builtin.run import JobRun, Services, score_rows
from corral.providers.inline.eval.builtin.store import UNFINISHED, JobStore, job_object

log = logging.getLogger("corral.eval")


class BuiltinEval:
    """The ``inline::builtin`` eval provider."""

    def __init__(
        self,
        config: BuiltinEvalConfig,
        store: JobStore,
        generator: Generator,
        datasets: DatasetIORouter,
        scoring: ScoringRouter,
    ) -> None:
        self.config = config
        self.store = store
        self.generator = generator
        self.services = Services(config, store, generator, datasets, scoring, uuid.uuid4().hex)
        self._runs: dict[str, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Create the tables and start looking for work."""
        await self.store.start()
        self._loop = asyncio.create_task(self._look_for_work())

    async def run_eval(
        self, benchmark: BenchmarkTarget, config: BenchmarkConfig, ctx: RequestContext
    ) -> Job:
        """Check the candidate, record the job and wake the loop."""
        self.generator.check(config.eval_candidate, ctx)
        job_id = f"evaljob-{uuid.uuid4().hex[:24]}"
        self.store.check_create(ctx.user, job_id)
        user = ctx.user
        row: dict[str, Any] = {
            "id": job_id,
            "benchmark_id": benchmark.benchmark_id,
            "created_ns": time.time_ns(),
            "status": "scheduled",
            "dataset_id": benchmark.dataset_id,
            "scoring_functions": benchmark.scoring_functions,
            "config": config.model_dump(),
            "rows_total": None,
            "rows_done": 0,
            "owner_principal": user.principal if user else None,
            "access_attributes": dict(user.attributes) if user else None,
            "lease_owner": None,
            "lease_until": None,
            "lease_version": 0,
        }
        await self.store.insert(row)
        self._wake.set()
        return job_object(row)

    async def job_status(self, benchmark_id: str, job_id: str, ctx: RequestContext) -> Job:
        """The job's status and progress."""
        return job_object(await self.store.row(benchmark_id, job_id, ctx.user))

    async def job_cancel(self, benchmark_id: str, job_id: str, ctx: RequestContext) -> Job:
        """Mark an unfinished job cancelled (its server stops within a flush interval)."""
        row = await self.store.row(benchmark_id, job_id, ctx.user, "update")
        while row["status"] in UNFINISHED:
            if await self.store.move(job_id, row["status"], {"status": "cancelled"}):
                break
            row = await self.store.row(benchmark_id, job_id, ctx.user)
        return job_object(await self.store.row(benchmark_id, job_id, ctx.user))

    async def job_result(
        self, benchmark_id: str, job_id: str, ctx: RequestContext
    ) -> EvaluateResponse:
        """The generations and scores of a completed job."""
        row = await self.store.row(benchmark_id, job_id, ctx.user)
        if row["status"] != "completed":
            raise Conflict(
                f"job {job_id!r} is {row['status']}; results exist once it is completed",
                code="job_not_completed",
            )
        generations = [gen async for _, gen in self.store.generations(job_id)]
        scores = {fn: ScoringResult.model_validate(r) for fn, r in (row["scores"] or {}).items()}
        return EvaluateResponse(generations=generations, scores=scores)

    async def evaluate_rows(
        self,
        benchmark: BenchmarkTarget,
        rows: list[dict[str, Any]],
        scoring_functions: list[str],
        config: BenchmarkConfig,
        ctx: RequestContext,
    ) -> EvaluateResponse:
        """Generate and score `rows` within the request."""
        self.generator.check(config.eval_candidate, ctx)
        slots = asyncio.Semaphore(self.config.max_concurrent_generations)

        async def one(row: dict[str, Any]) -> dict[str, Any]:
            async with slots:
                return await self.generator.answer(row, config.eval_candidate, ctx)

        generations = list(await asyncio.gather(*(one(r) for r in rows)))
        scores = await score_rows(
            self.services.scoring, rows, generations, scoring_functions, config, ctx
        )
        return EvaluateResponse.model_validate({"generations": generations, "scores": scores})

    async def _look_for_work(self) -> None:
        while True:
            try:
                await self._claim_some()
            except Exception:
                log.exception("eval: looking for work failed; trying again")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.config.poll_interval_seconds)

    async def _claim_some(self) -> None:
        now = time.time()
        for status in UNFINISHED:
            for row in await self.store.unfinished(status):
                if len(self._runs) >= self.config.max_concurrent_jobs:
                    return
                if row["id"] in self._runs or (row.get("lease_until") or 0) >= now:
                    continue
                if await self.store.claim(row, self.services.server_id, self.config.lease_seconds):
                    fresh = await self.store.fetch(row["id"])
                    if fresh is not None and fresh["status"] in UNFINISHED:
                        self._start(fresh)

    def _start(self, row: dict[str, Any]) -> None:
        task = asyncio.create_task(JobRun(self.services, row).run())
        self._runs[row["id"]] = task

        def done(t: asyncio.Task[None]) -> None:
            self._runs.pop(row["id"], None)
            if not t.cancelled() and t.exception() is not None:
                log.error("eval job %s stopped on an error", row["id"], exc_info=t.exception())

        task.add_done_callback(done)

    async def shutdown(self) -> None:
        """Stop the loop and every run (each stores its generations and releases its lease)."""
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        runs = list(self._runs.values())
        for task in runs:
            task.cancel()
        await asyncio.gather(*runs, return_exceptions=True)
