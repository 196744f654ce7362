"""Running one batch that this server holds the lease of: validate, execute, finish.

Each phase ends by moving the status with a compare-and-set, so a cancel made
meanwhile (on any server) wins: ``validating`` → ``in_progress`` (or
``failed``), → ``finalizing`` → ``completed``; ``cancelling`` → ``cancelled``;
past ``expires_at`` the lines not run yet are answered ``batch_expired`` and
the batch ends ``expired``. A server resuming a batch starts at the phase its
status names and skips the lines already stored.

While lines run, one loop writes the finished ones every
``flush_interval_seconds`` together with the progress counts and the lease, and
reads the status back (a cancel from another server is seen within one
interval). Lines in flight when the batch stops are dropped, never stored
half-done; they run again on resume.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import orjson

from corral.apis.batches.models import BatchError
from corral.apis.context import RequestContext
from corral.apis.files.api import FilesProvider
from corral.apis.spec import QuotaGate
from corral.core.routers.inference import InferenceRouter
from corral.errors import CorralError, ServiceUnavailable
from corral.providers.inline.batches.reference.config import ReferenceBatchesConfig
from corral.providers.inline.batches.reference.lines import Line, LineChecker, raw_lines
from corral.providers.inline.batches.reference.output import write_outputs
from corral.providers.inline.batches.reference.store import (
    USAGE_COLUMNS,
    BatchStore,
    owner_of,
    quota_client,
)

log = logging.getLogger("corral.batches")


#: Finished lines held before the dispatcher waits for them to be written: when the store
#: is slower than the upstream, results would otherwise pile up in memory between flushes.
MAX_UNWRITTEN = 1000


@dataclass
class InputSummary:
    """What validation found: problems, request lines, the last line's number, the model."""

    errors: list[BatchError]
    total: int = 0
    last_line: int = 0
    model: str | None = None


class LeaseLost(Exception):
    """Another server holds the batch now; this one stops without writing more."""


@dataclass(frozen=True)
class Services:
    """What a run uses, shared by every batch of one provider."""

    config: ReferenceBatchesConfig
    store: BatchStore
    inference: InferenceRouter
    files: FilesProvider
    quota: QuotaGate | None
    #: This server's name in leases.
    server_id: str


def request_id(batch_id: str, line: int) -> str:
    """The id of one line's request (the same when a line is run again)."""
    return "batch_req_" + hashlib.sha256(f"{batch_id}:{line}".encode()).hexdigest()[:24]


def answered(batch_id: str, line: Line, status: int, body: Any) -> dict[str, Any]:
    """An output (or error) file line for a request that got an answer."""
    rid = request_id(batch_id, line.number)
    return {
        "id": rid,
        "custom_id": line.custom_id,
        "response": {"status_code": status, "request_id": rid, "body": body},
        "error": None,
    }


def failed(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """(status, body) of a line whose request raised: the body an online client would get."""
    if isinstance(exc, CorralError):
        error: dict[str, Any] = {"message": exc.message, "type": exc.type, "code": exc.code}
        if exc.param is not None:
            error["param"] = exc.param
        return exc.status, {"error": error}
    log.error("unexpected error in a batch line", exc_info=exc)
    return 500, {
        "error": {
            "message": "Internal server error",
            "type": "server_error",
            "code": "internal_error",
        }
    }


class BatchRun:
    """One batch, from the phase its row is in to the end (or until stopped)."""

    def __init__(self, services: Services, row: dict[str, Any]) -> None:
        self.s = services
        self.row = row
        self.id: str = row["id"]
        self.ctx = RequestContext(user=owner_of(row))
        self._quota = quota_client(row)
        self._results: list[tuple[int, bool, Any]] = []
        self._completed = 0
        self._failed = 0
        self._usage = [0] * len(USAGE_COLUMNS)
        self._stop = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Drive the batch through its phases; the lease is released at the end."""
        status = self.row["status"]
        try:
            if status == "validating":
                status = await self._validate()
            if status == "in_progress":
                status = await self._execute()
            if status in ("finalizing", "cancelling"):
                await self._finish(status)
        except LeaseLost:
            log.info("batch %s: lease taken over by another server; stopping here", self.id)
            return
        except ServiceUnavailable:
            raise  # storage is down: the batch is left to be resumed (here or elsewhere)
        except Exception as exc:
            await self._fail(exc)
        finally:
            with contextlib.suppress(Exception):
                await self.s.store.release(self.id, self.s.server_id)

    async def _fail(self, exc: Exception) -> None:
        """End the batch ``failed`` on an error that running it again would meet again."""
        log.error("batch %s failed", self.id, exc_info=exc)
        message = exc.message if isinstance(exc, CorralError) else "internal error"
        error = BatchError(code="internal_error", message=message).model_dump()
        status = await self._status()
        if status in ("validating", "in_progress", "finalizing", "cancelling"):
            await self._moved(status, status="failed", failed_at=int(time.time()), errors=[error])

    async def _renew(self, **values: Any) -> None:
        cfg = self.s.config
        if not await self.s.store.renew(self.id, self.s.server_id, cfg.lease_seconds, **values):
            raise LeaseLost(self.id)

    async def _status(self) -> str:
        row = await self.s.store.fetch(self.id)
        return "missing" if row is None else str(row["status"])

    async def _moved(self, seen: str, **values: Any) -> str | None:
        """Move from `seen` (None when done), else the status another server set meanwhile."""
        if await self.s.store.move(self.id, seen, values, self.s.server_id):
            return None
        return await self._status()

    # -- validating -----------------------------------------------------------------------

    async def _validate(self) -> str:
        found = await self._check_input()
        now = int(time.time())
        if found.errors:
            listed = [e.model_dump() for e in found.errors]
            other = await self._moved("validating", status="failed", failed_at=now, errors=listed)
            return other or "failed"
        self.row["last_line"] = found.last_line
        other = await self._moved(
            "validating", status="in_progress", in_progress_at=now, total=found.total,
            model=found.model, last_line=found.last_line,
        )  # fmt: skip
        return other or "in_progress"

    async def _check_input(self) -> InputSummary:
        """Every line's problems (the first ones), the line count, and the one model used."""
        file_id = self.row["input_file_id"]
        try:
            await self.s.files.get_file(file_id, self.ctx)
        except CorralError:
            message = f"Cannot find file {file_id}."
            error = BatchError(code="invalid_request", message=message, param="input_file_id")
            return InputSummary([error])
        checker = LineChecker(self.row["endpoint"], self.ctx.user, self.s.inference.models.resolve)
        found = InputSummary([])
        renewed, listed = time.monotonic(), self.s.config.max_listed_errors
        async for number, raw in raw_lines(self.s.files, file_id, self.ctx):
            found.total += 1
            found.last_line = number
            checked = checker.check(number, raw)
            if isinstance(checked, BatchError) and len(found.errors) < listed:
                found.errors.append(checked)
            if time.monotonic() - renewed > self.s.config.lease_seconds / 3:
                await self._renew()
                renewed = time.monotonic()
        if found.total == 0 and not found.errors:
            found.errors.append(
                BatchError(code="empty_file", message="The input file has no requests.")
            )
        models = checker.models()
        found.model = models[0] if len(models) == 1 else None
        return found

    # -- in_progress ----------------------------------------------------------------------

    async def _load_done(self) -> set[int]:
        done: set[int] = set()
        async for row in self.s.store.lines(self.id, self.row.get("last_line") or 0):
            done.add(int(row["line"]))
            self._count(bool(row["ok"]), row["result"])
        return done

    async def _execute(self) -> str:
        done = await self._load_done()
        flusher = asyncio.create_task(self._flush_loop())
        slots = asyncio.Semaphore(self.s.config.max_concurrent_requests_per_batch)
        expires_at = self.row.get("expires_at") or 0
        expired = False
        try:
            async for number, raw in raw_lines(self.s.files, self.row["input_file_id"], self.ctx):
                if self._stop.is_set():
                    break
                if number in done:
                    continue
                data = orjson.loads(raw)
                line = Line(number, data["custom_id"], data["body"])
                if expires_at and time.time() > expires_at:
                    expired = True
                    self._record(line.number, False, _expired_line(self.id, line))
                    continue
                if len(self._results) >= MAX_UNWRITTEN:
                    await self._flush()  # writes fall behind: wait for them (bounded memory)
                await slots.acquire()
                if self._stop.is_set():
                    break
                self._spawn(line, slots)
            await asyncio.gather(*self._running, return_exceptions=True)
        finally:
            self._drop_running()  # stopped (cancel, lost lease, shutdown): in-flight lines go
            await asyncio.gather(*self._running, return_exceptions=True)
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            await self._flush()
        if self._stop.is_set():
            return await self._status()
        now = int(time.time())
        extra = {"expired_at": now} if expired else {}
        other = await self._moved("in_progress", status="finalizing", finalizing_at=now, **extra)
        return other or "finalizing"

    def _spawn(self, line: Line, slots: asyncio.Semaphore) -> None:
        task = asyncio.create_task(self._one(line))
        self._running.add(task)

        def free(t: asyncio.Task[None]) -> None:
            self._running.discard(t)
            slots.release()

        task.add_done_callback(free)

    def _drop_running(self) -> None:
        for task in self._running:
            task.cancel()

    async def _one(self, line: Line) -> None:
        await self._wait_for_quota()
        try:
            result = await self._call(line.body)
        except CorralError as exc:
            status, body = failed(exc)
            self._record(line.number, False, answered(self.id, line, status, body))
        except Exception as exc:
            status, body = failed(exc)
            self._record(line.number, False, answered(self.id, line, status, body))
        else:
            self._record(line.number, True, answered(self.id, line, 200, result))

    async def _call(self, body: dict[str, Any]) -> dict[str, Any]:
        inference, endpoint = self.s.inference, self.row["endpoint"]
        if endpoint == "/v1/embeddings":
            return await inference.embeddings(body, self.ctx)
        if endpoint == "/v1/completions":
            result = await inference.completion(body, self.ctx)
        else:
            result = await inference.chat_completion(body, self.ctx, store=False)
        if not isinstance(result, dict):  # the checks refuse `stream`; a provider streamed anyway
            await result.aclose()  # type: ignore[attr-defined]
            raise CorralError("the provider streamed an answer to a non-streaming request")
        return result

    async def _wait_for_quota(self) -> None:
        if self.s.quota is None or self._quota is None:
            return
        while True:
            try:
                wait = await self.s.quota.take(self._quota)
            except Exception as exc:  # the counter store is down: try again shortly
                log.warning("batch %s: quota store unavailable (%s); retrying", self.id, exc)
                wait = 1.0
            if wait <= 0:
                return
            await asyncio.sleep(min(wait, 5.0))

    def _record(self, line: int, ok: bool, result: Any) -> None:
        self._results.append((line, ok, result))
        self._count(ok, result)

    def _count(self, ok: bool, result: Any) -> None:
        if ok:
            self._completed += 1
        else:
            self._failed += 1
        for i, tokens in enumerate(line_usage(result)):
            self._usage[i] += tokens

    async def _flush(self) -> None:
        results, self._results = self._results, []
        if results:
            await self.s.store.save_lines(self.id, results)
        usage = dict(zip(USAGE_COLUMNS, self._usage, strict=True))
        await self._renew(completed=self._completed, failed=self._failed, **usage)

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.s.config.flush_interval_seconds)
            try:
                await self._flush()
                if await self._status() != "in_progress":
                    self._stop_now()
            except LeaseLost:
                self._stop_now()
                raise

    def _stop_now(self) -> None:
        """Stop dispatching and drop the lines in flight (they may be waiting for quota)."""
        self._stop.set()
        self._drop_running()

    # -- finalizing / cancelling ----------------------------------------------------------

    async def _finish(self, status: str) -> None:
        row = await self.s.store.fetch(self.id) or self.row
        output_id, error_id = await write_outputs(
            self.s.store, self.s.files, row, self.ctx, self._renew
        )
        final = "cancelled" if status == "cancelling" else "completed"
        if final == "completed" and row.get("expired_at"):
            final = "expired"
        values: dict[str, Any] = {
            "status": final,
            "output_file_id": output_id,
            "error_file_id": error_id,
        }
        if final != "expired":
            values[f"{final}_at"] = int(time.time())
        await self._moved(status, **values)


def line_usage(result: Any) -> tuple[int, int, int, int]:
    """(input, cached input, output, reasoning) tokens of one answered line (zeros if none)."""
    response = result.get("response") if isinstance(result, dict) else None
    body = response.get("body") if isinstance(response, dict) else None
    usage = body.get("usage") if isinstance(body, dict) else None
    if not isinstance(usage, dict):
        return 0, 0, 0, 0
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
    reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens")
    return (
        int(usage.get("prompt_tokens") or 0),
        int(cached or 0),
        int(usage.get("completion_tokens") or 0),
        int(reasoning or 0),
    )


def _expired_line(batch_id: str, line: Line) -> dict[str, Any]:
    return {
        "id": request_id(batch_id, line.number),
        "custom_id": line.custom_id,
        "response": None,
        "error": {
            "code": "batch_expired",
            "message": "This request could not be executed before the completion window expired.",
        },
    }
