"""Running one eval job this server holds the lease of: generate each row, then score.

``scheduled`` → ``in_progress`` (rows generated, written every
``flush_interval_seconds`` with the progress and the lease; the status is read
back then, so a cancel from any server stops the job within one interval) →
scoring (the rows with their generations, through the scoring router) →
``completed`` with the scores, or ``failed`` with the error. A job resumed on
another server skips the rows already generated.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from corral.apis.context import RequestContext
from corral.apis.eval.models import BenchmarkConfig
from corral.core.routers.datasetio import MAX_PAGE, DatasetIORouter
from corral.core.routers.scoring import ScoringRouter
from corral.errors import CorralError, ServiceUnavailable
from corral.providers.inline.eval.builtin.config import BuiltinEvalConfig
from corral.providers.inline.eval.builtin.generate import Generator
from corral.providers.inline.eval.builtin.store import JobStore, owner_of

log = logging.getLogger("corral.eval")


class LeaseLost(Exception):
    """Another server holds the job now."""


@dataclass(frozen=True)
class Services:
    """What a job uses, shared by every job of one provider."""

    config: BuiltinEvalConfig
    store: JobStore
    generator: Generator
    datasets: DatasetIORouter
    scoring: ScoringRouter
    server_id: str


async def dataset_rows(
    datasets: DatasetIORouter, dataset_id: str, limit: int | None, ctx: RequestContext
) -> list[dict[str, Any]]:
    """The benchmark's rows (the first `limit` of them), read as the job's owner."""
    rows: list[dict[str, Any]] = []
    more = True
    while more and (limit is None or len(rows) < limit):
        want = MAX_PAGE if limit is None else min(MAX_PAGE, limit - len(rows))
        page, more = await datasets.iterrows(dataset_id, len(rows), want, ctx)
        rows += page
    return rows


async def score_rows(
    scoring: ScoringRouter,
    rows: list[dict[str, Any]],
    generations: list[dict[str, Any]],
    functions: list[str],
    config: BenchmarkConfig,
    ctx: RequestContext,
) -> dict[str, Any]:
    """Each function's result over the rows merged with their generations."""
    merged = [{**row, **gen} for row, gen in zip(rows, generations, strict=True)]
    params = {fn: (p.model_dump() if (p := config.scoring_params.get(fn)) else None)
              for fn in functions}  # fmt: skip
    scored = await scoring.score(merged, params, ctx)
    return {fn: result.model_dump() for fn, result in scored.results.items()}


class JobRun:
    """One job, from the phase its row is in to the end (or until stopped)."""

    def __init__(self, services: Services, row: dict[str, Any]) -> None:
        self.s = services
        self.row = row
        self.id: str = row["id"]
        self.ctx = RequestContext(user=owner_of(row))
        self.config = BenchmarkConfig.model_validate(row["config"])
        self._done: dict[int, dict[str, Any]] = {}
        self._pending: list[tuple[int, dict[str, Any]]] = []
        self._stop = asyncio.Event()

    async def run(self) -> None:
        """Generate, score, finish; the lease is released at the end."""
        try:
            status = self.row["status"]
            if status == "scheduled":
                moved = await self._move("scheduled", status="in_progress")
                status = "in_progress" if moved else "gone"
            if status == "in_progress":
                await self._work()
        except LeaseLost:
            log.info("eval job %s: lease taken over by another server", self.id)
        except ServiceUnavailable:
            raise  # storage is down: the job is resumed later
        except Exception as exc:
            log.error("eval job %s failed", self.id, exc_info=exc)
            message = exc.message if isinstance(exc, CorralError) else "internal error"
            with contextlib.suppress(Exception):
                await self._move("in_progress", status="failed", error=message)
        finally:
            with contextlib.suppress(Exception):
                await self.s.store.release(self.id, self.s.server_id)

    async def _move(self, seen: str, **values: Any) -> bool:
        return await self.s.store.move(self.id, seen, values, self.s.server_id)

    async def _work(self) -> None:
        rows = await dataset_rows(
            self.s.datasets, self.row["dataset_id"], self.config.num_examples, self.ctx
        )
        async for idx, gen in self.s.store.generations(self.id):
            self._done[idx] = gen
        await self._flush(rows_total=len(rows))
        if not await self._generate(rows):
            return  # cancelled (or lost the lease)
        generations = [self._done[i] for i in range(len(rows))]
        scores = await score_rows(
            self.s.scoring, rows, generations, self.row["scoring_functions"], self.config, self.ctx
        )
        await self._move("in_progress", status="completed", scores=scores, rows_done=len(rows))

    async def _generate(self, rows: list[dict[str, Any]]) -> bool:
        slots = asyncio.Semaphore(self.s.config.max_concurrent_generations)
        flusher = asyncio.create_task(self._flush_loop())

        async def one(idx: int) -> None:
            async with slots:
                if self._stop.is_set():
                    return
                gen = await self.s.generator.answer(rows[idx], self.config.eval_candidate, self.ctx)
                self._done[idx] = gen
                self._pending.append((idx, gen))

        work = [asyncio.create_task(one(i)) for i in range(len(rows)) if i not in self._done]
        try:
            await asyncio.gather(*work)
        finally:
            for task in work:
                task.cancel()
            await asyncio.gather(*work, return_exceptions=True)
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            await self._flush()
        return not self._stop.is_set() and len(self._done) >= len(rows)

    async def _flush(self, **values: Any) -> None:
        pending, self._pending = self._pending, []
        if pending:
            await self.s.store.save_generations(self.id, pending)
        cfg = self.s.config
        done = len(self._done)
        if not await self.s.store.renew(
            self.id, self.s.server_id, cfg.lease_seconds, rows_done=done, **values
        ):
            raise LeaseLost(self.id)

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.s.config.flush_interval_seconds)
            await self._flush()
            row = await self.s.store.fetch(self.id)
            if row is None or row["status"] != "in_progress":
                self._stop.set()
                return
