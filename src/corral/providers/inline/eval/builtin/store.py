"""Eval jobs in SQL: one row per job, one row per generated answer, and the lease.

The same scheme as the batches provider (see its ``store`` module): status
moves are compare-and-set on the status seen, the lease is claimed by a
compare-and-set on ``lease_version`` and held by writes conditional on
``lease_owner``, and generations are keyed (job, row) and inserted with "on
conflict do nothing".
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

from corral.apis.context import User
from corral.apis.eval.models import Job
from corral.apis.resources import Owner
from corral.apis.spec import AccessCheck
from corral.apis.storage import Column, SqlStore
from corral.errors import Forbidden, NotFound

JOB_COLUMNS = [
    Column("id", "string", primary_key=True),
    Column("benchmark_id", "string", index=True),
    Column("created_ns", "integer", index=True),
    Column("status", "string", index=True),
    Column("dataset_id", "string"),
    Column("scoring_functions", "json"),
    Column("config", "json"),
    Column("rows_total", "integer"),
    Column("rows_done", "integer"),
    Column("scores", "json"),
    Column("error", "text"),
    Column("owner_principal", "string"),
    Column("access_attributes", "json"),
    Column("lease_owner", "string"),
    Column("lease_until", "float"),
    Column("lease_version", "integer"),
]
ROW_COLUMNS = [
    Column("id", "string", primary_key=True),
    Column("job_id", "string", index=True),
    Column("idx", "integer"),
    Column("generation", "json"),
]
UNFINISHED = ("scheduled", "in_progress")
PAGE = 1000


def job_object(row: Mapping[str, Any]) -> Job:
    """The wire object of a job row."""
    return Job(
        job_id=row["id"],
        status=row["status"],
        benchmark_id=row["benchmark_id"],
        rows_total=row.get("rows_total"),
        rows_done=row.get("rows_done"),
        error=row.get("error"),
    )


def owner_of(row: Mapping[str, Any]) -> User | None:
    """Who started the job (its rows are read and generated as them)."""
    if not row.get("owner_principal"):
        return None
    return User(row["owner_principal"], row.get("access_attributes") or {})


class JobStore:
    """The jobs table and its generations table."""

    def __init__(self, store: SqlStore, table: str, access: AccessCheck) -> None:
        self._store = store
        self.table = table
        self.rows_table = f"{table}_rows"
        self._access = access

    async def start(self) -> None:
        """Create the tables."""
        await self._store.create_table(self.table, JOB_COLUMNS)
        await self._store.create_table(self.rows_table, ROW_COLUMNS)

    def policy_id(self, job_id: str) -> str:
        """The name access_policy rules match."""
        return f"sql_record::{self.table}::{job_id}"

    def check_create(self, user: User | None, job_id: str) -> None:
        """403 unless the caller may start jobs."""
        owner = Owner(principal=user.principal, attributes=dict(user.attributes)) if user else None
        if not self._access.is_allowed(user, "create", self.policy_id(job_id), owner):
            raise Forbidden("you may not start eval jobs")

    async def row(
        self, benchmark_id: str, job_id: str, user: User | None, action: str = "read"
    ) -> dict[str, Any]:
        """A job of that benchmark the caller may see (404 otherwise)."""
        row = await self._store.fetch_one(self.table, {"id": job_id})
        owner = None
        if row is not None and row.get("owner_principal"):
            owner = Owner(
                principal=row["owner_principal"], attributes=row.get("access_attributes") or {}
            )
        policy = self.policy_id(job_id)
        if (
            row is None
            or row["benchmark_id"] != benchmark_id
            or not self._access.is_allowed(user, "read", policy, owner)
        ):
            raise NotFound(f"Job '{job_id}' not found", code="job_not_found")
        if action != "read" and not self._access.is_allowed(user, action, policy, owner):
            raise Forbidden(f"you may not {action} job {job_id!r}")
        return row

    async def fetch(self, job_id: str) -> dict[str, Any] | None:
        """A job row, unchecked (for the server running it)."""
        return await self._store.fetch_one(self.table, {"id": job_id})

    async def insert(self, row: dict[str, Any]) -> None:
        """Record a new job."""
        await self._store.insert(self.table, row)

    async def move(
        self, job_id: str, seen: str, values: Mapping[str, Any], owner: str | None = None
    ) -> bool:
        """Set `values` if the status is still `seen` (and, with `owner`, the lease is held)."""
        where: dict[str, Any] = {"id": job_id, "status": seen}
        if owner is not None:
            where["lease_owner"] = owner
        return await self._store.update(self.table, dict(values), where) > 0

    async def unfinished(self, status: str) -> list[dict[str, Any]]:
        """Jobs in `status`, oldest first (the first thousand)."""
        page = await self._store.fetch_page(
            self.table, {"status": status}, order_by="created_ns", descending=False, limit=PAGE
        )
        return page.rows

    async def claim(self, row: Mapping[str, Any], owner: str, seconds: float) -> bool:
        """Take the job if its lease (as seen in `row`) is still the one that expired."""
        values = {
            "lease_owner": owner,
            "lease_until": time.time() + seconds,
            "lease_version": (row.get("lease_version") or 0) + 1,
        }
        where = {"id": row["id"], "lease_version": row.get("lease_version")}
        return await self._store.update(self.table, values, where) > 0

    async def renew(self, job_id: str, owner: str, seconds: float, **values: Any) -> bool:
        """Extend the lease (and write `values`); False when another server holds it now."""
        values["lease_until"] = time.time() + seconds
        return (
            await self._store.update(self.table, values, {"id": job_id, "lease_owner": owner}) > 0
        )

    async def release(self, job_id: str, owner: str) -> None:
        """Give the lease up at once."""
        await self._store.update(
            self.table, {"lease_until": 0.0}, {"id": job_id, "lease_owner": owner}
        )

    async def save_generations(self, job_id: str, done: list[tuple[int, dict[str, Any]]]) -> None:
        """Store generated answers (one stored before is kept)."""
        rows = [
            {"id": f"{job_id}:{idx:010d}", "job_id": job_id, "idx": idx, "generation": gen}
            for idx, gen in done
        ]
        await self._store.insert_many(self.rows_table, rows, key=["id"])

    async def generations(self, job_id: str) -> AsyncIterator[tuple[int, dict[str, Any]]]:
        """The job's stored generations in row order."""
        cursor: str | None = None
        while True:
            page = await self._store.fetch_page(
                self.rows_table, {"job_id": job_id}, order_by="id", descending=False,
                limit=PAGE, after=cursor,
            )  # fmt: skip
            for row in page.rows:
                yield int(row["idx"]), row["generation"]
            if not page.has_more or not page.rows:
                return
            cursor = page.rows[-1]["id"]
