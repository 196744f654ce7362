"""Batches in SQL: one row per batch, one row per finished line, and the lease.

The batch row's fields are columns, so a change touches only its own columns
(a cancel from one server and a progress update from another never overwrite
each other). Status moves are compare-and-set on the status the mover saw
(``UPDATE ... WHERE status = <seen>``): a batch being cancelled is never set
back to ``in_progress``.

The lease: a server runs a batch only while it holds it. Claiming is a
compare-and-set on ``lease_version`` (two servers that saw the same expired
lease both try; the database lets exactly one update the row), renewing and
every write of progress is conditional on ``lease_owner``, so a server that
lost its lease (it stalled past ``lease_seconds``) learns it at its next write
and stops. Line results are keyed by (batch, line) and inserted with
"on conflict do nothing", so even a line run twice appears once.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

from corral.apis.batches.models import BatchError, BatchErrors, BatchObject, RequestCounts
from corral.apis.context import QuotaClient, User
from corral.apis.resources import Owner
from corral.apis.spec import AccessCheck
from corral.apis.storage import Column, SqlStore
from corral.errors import Forbidden, NotFound

TIMES = (
    "in_progress_at",
    "expires_at",
    "finalizing_at",
    "completed_at",
    "failed_at",
    "expired_at",
    "cancelling_at",
    "cancelled_at",
)

#: Token counts summed over the answered lines (OpenAI's batch ``usage``).
USAGE_COLUMNS = ("input_tokens", "cached_tokens", "output_tokens", "reasoning_tokens")

BATCH_COLUMNS = [
    Column("id", "string", primary_key=True),
    Column("created_at", "integer"),
    Column("created_ns", "integer", index=True),
    Column("status", "string", index=True),
    Column("endpoint", "string"),
    Column("input_file_id", "string"),
    Column("completion_window", "string"),
    Column("metadata", "json"),
    Column("errors", "json"),
    Column("output_file_id", "string"),
    Column("error_file_id", "string"),
    *(Column(name, "integer") for name in TIMES),
    Column("model", "string"),
    *(Column(name, "integer") for name in USAGE_COLUMNS),
    Column("total", "integer"),
    Column("last_line", "integer"),
    Column("completed", "integer"),
    Column("failed", "integer"),
    Column("owner_principal", "string"),
    Column("access_attributes", "json"),
    Column("quota_key", "string"),
    Column("quota_limit", "integer"),
    Column("request_hash", "string"),
    Column("lease_owner", "string"),
    Column("lease_until", "float"),
    Column("lease_version", "integer"),
]

LINE_COLUMNS = [
    Column("id", "string", primary_key=True),
    Column("batch_id", "string", index=True),
    # `<batch_id>:<line // CHUNK>`: a batch's lines are read a chunk at a time by equality
    # (a cursor page's "id > last" turned SQLite's reads quadratic in the batch's size)
    Column("chunk", "string", index=True),
    Column("line", "integer"),
    Column("ok", "boolean"),
    Column("result", "json"),
]

PAGE = 1000
CHUNK = 1000


def line_key(batch_id: str, line: int) -> str:
    """The primary key of one line's result (sorts by line within a batch)."""
    return f"{batch_id}:{line:010d}"


def request_hash(fields: Mapping[str, Any]) -> str:
    """What an idempotent replay must match: the creation parameters, canonically."""
    text = repr(sorted((k, repr(v)) for k, v in fields.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def batch_object(row: Mapping[str, Any]) -> BatchObject:
    """The wire object of a batch row."""
    errors = row.get("errors")
    fields: dict[str, Any] = {name: row.get(name) for name in TIMES}
    fields.update(
        id=row["id"],
        endpoint=row["endpoint"],
        errors=BatchErrors(data=[BatchError(**e) for e in errors]) if errors else None,
        input_file_id=row["input_file_id"],
        completion_window=row["completion_window"],
        status=row["status"],
        output_file_id=row.get("output_file_id"),
        error_file_id=row.get("error_file_id"),
        created_at=row["created_at"],
        request_counts=RequestCounts(
            total=row.get("total") or 0,
            completed=row.get("completed") or 0,
            failed=row.get("failed") or 0,
        ),
        metadata=row.get("metadata"),
        model=row.get("model"),
        usage=_usage(row) if row.get("in_progress_at") else None,
    )
    return BatchObject.model_validate(fields)


def _usage(row: Mapping[str, Any]) -> dict[str, Any]:
    tokens = {name: int(row.get(name) or 0) for name in USAGE_COLUMNS}
    return {
        "input_tokens": tokens["input_tokens"],
        "input_tokens_details": {"cached_tokens": tokens["cached_tokens"]},
        "output_tokens": tokens["output_tokens"],
        "output_tokens_details": {"reasoning_tokens": tokens["reasoning_tokens"]},
        "total_tokens": tokens["input_tokens"] + tokens["output_tokens"],
    }


def quota_client(row: Mapping[str, Any]) -> QuotaClient | None:
    """The quota client a batch's lines count against (None without a quota)."""
    if row.get("quota_key") is None:
        return None
    return QuotaClient(row["quota_key"], int(row["quota_limit"]))


def owner_of(row: Mapping[str, Any]) -> User | None:
    """The batch's creator, as its lines are run."""
    if not row.get("owner_principal"):
        return None
    return User(row["owner_principal"], row.get("access_attributes") or {})


class BatchStore:
    """The batches table and its lines table."""

    def __init__(self, store: SqlStore, table: str, access: AccessCheck) -> None:
        self._store = store
        self.table = table
        self.lines_table = f"{table}_lines"
        self._access = access

    async def start(self) -> None:
        """Create the tables."""
        await self._store.create_table(self.table, BATCH_COLUMNS)
        await self._store.create_table(self.lines_table, LINE_COLUMNS)

    # -- access ---------------------------------------------------------------------------

    def policy_id(self, batch_id: str) -> str:
        """The name access_policy rules match."""
        return f"sql_record::{self.table}::{batch_id}"

    def check_create(self, user: User | None, batch_id: str) -> None:
        """403 unless the caller may create batches."""
        owner = Owner(principal=user.principal, attributes=dict(user.attributes)) if user else None
        if not self._access.is_allowed(user, "create", self.policy_id(batch_id), owner):
            raise Forbidden("you may not create batches")

    def _visible(self, row: Mapping[str, Any], user: User | None, action: str = "read") -> bool:
        owner = None
        if row.get("owner_principal"):
            owner = Owner(
                principal=row["owner_principal"], attributes=row.get("access_attributes") or {}
            )
        return self._access.is_allowed(user, action, self.policy_id(row["id"]), owner)

    async def row(self, batch_id: str, user: User | None, action: str = "read") -> dict[str, Any]:
        """A batch row the caller may see (404 otherwise; 403 for a change it may not make)."""
        row = await self._store.fetch_one(self.table, {"id": batch_id})
        if row is None or not self._visible(row, user):
            raise NotFound(f"Batch '{batch_id}' not found.", code="batch_not_found")
        if action != "read" and not self._visible(row, user, action):
            raise Forbidden(f"you may not {action} batch {batch_id!r}")
        return row

    async def fetch(self, batch_id: str) -> dict[str, Any] | None:
        """A batch row, unchecked (for the server running it)."""
        return await self._store.fetch_one(self.table, {"id": batch_id})

    # -- rows -----------------------------------------------------------------------------

    async def insert(self, row: dict[str, Any]) -> bool:
        """Insert a new batch; False when its id exists already (an idempotent replay)."""
        before = await self._store.fetch_one(self.table, {"id": row["id"]})
        if before is not None:
            return False
        await self._store.insert_many(self.table, [row], key=["id"])
        after = await self._store.fetch_one(self.table, {"id": row["id"]})
        return after is not None and after["created_ns"] == row["created_ns"]

    async def page(
        self, user: User | None, after: str | None, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        """A page of rows the caller may read (newest first), and whether more follow."""
        if after is not None:
            await self.row(after, user)
        rows: list[dict[str, Any]] = []
        cursor, has_more = after, True
        while len(rows) <= limit and has_more:
            page = await self._store.fetch_page(
                self.table, {}, order_by="created_ns", limit=limit, after=cursor
            )
            has_more = page.has_more
            rows += [r for r in page.rows if self._visible(r, user)]
            cursor = page.rows[-1]["id"] if page.rows else None
        return rows[:limit], has_more or len(rows) > limit

    async def move(
        self, batch_id: str, seen: str, values: Mapping[str, Any], owner: str | None = None
    ) -> bool:
        """Set `values` if the status is still `seen` (and, with `owner`, the lease is held)."""
        where: dict[str, Any] = {"id": batch_id, "status": seen}
        if owner is not None:
            where["lease_owner"] = owner
        return await self._store.update(self.table, dict(values), where) > 0

    async def unfinished(self, status: str) -> list[dict[str, Any]]:
        """Batches in `status`, oldest first (the first thousand)."""
        page = await self._store.fetch_page(
            self.table, {"status": status}, order_by="created_ns", descending=False, limit=PAGE
        )
        return page.rows

    # -- lease ----------------------------------------------------------------------------

    async def claim(self, row: Mapping[str, Any], owner: str, seconds: float) -> bool:
        """Take the batch if its lease (as seen in `row`) is still the one that expired."""
        values = {
            "lease_owner": owner,
            "lease_until": time.time() + seconds,
            "lease_version": (row.get("lease_version") or 0) + 1,
        }
        where = {"id": row["id"], "lease_version": row.get("lease_version")}
        return await self._store.update(self.table, values, where) > 0

    async def renew(self, batch_id: str, owner: str, seconds: float, **values: Any) -> bool:
        """Extend the lease (and write `values`); False when another server holds it now."""
        values["lease_until"] = time.time() + seconds
        where = {"id": batch_id, "lease_owner": owner}
        return await self._store.update(self.table, values, where) > 0

    async def release(self, batch_id: str, owner: str) -> None:
        """Give the lease up at once (a stopping server), so another may resume the batch."""
        await self._store.update(
            self.table, {"lease_until": 0.0}, {"id": batch_id, "lease_owner": owner}
        )

    # -- lines ----------------------------------------------------------------------------

    async def save_lines(self, batch_id: str, results: list[tuple[int, bool, Any]]) -> None:
        """Store finished lines (a line stored before is kept as it was)."""
        rows = [
            {"id": line_key(batch_id, line), "batch_id": batch_id,
             "chunk": f"{batch_id}:{line // CHUNK}", "line": line, "ok": ok, "result": result}
            for line, ok, result in results
        ]  # fmt: skip
        await self._store.insert_many(self.lines_table, rows, key=["id"])

    async def lines(self, batch_id: str, last_line: int) -> AsyncIterator[dict[str, Any]]:
        """The batch's stored lines in input order (lines 1..`last_line`), a chunk at a time."""
        for chunk in range(last_line // CHUNK + 1):
            page = await self._store.fetch_page(
                self.lines_table,
                {"chunk": f"{batch_id}:{chunk}"},
                order_by="id",
                descending=False,
                limit=CHUNK,
            )
            for row in page.rows:
                yield row
