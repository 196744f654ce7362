"""Stored responses: one SQL row per response, owner-stamped, checked by access_policy.

A row keeps the response object, the input items the request gave (with their
ids), and the context that came before them (the items of the
``previous_response_id`` chain or of the conversation), so a follow-up request
needs one read to rebuild what the model saw. Rows are written before the
client is told the response exists (see docs/responses.md, "Durability").
Background responses hold a lease that their worker renews; a row whose lease
ran out belongs to a server that died, and is marked failed.
"""

from __future__ import annotations

import time
from typing import Any

from corral.apis.context import User
from corral.apis.resources import Owner
from corral.apis.responses.api import ListQuery
from corral.apis.spec import AccessCheck
from corral.apis.storage import Column, SqlStore
from corral.errors import Forbidden, InvalidParameter, NotFound
from corral.storage.group_commit import GroupCommit

COLUMNS = [
    Column("id", "string", primary_key=True),
    Column("created_at", "integer"),
    # creation time in ns: orders the list (several responses share a created_at second)
    Column("created_ns", "integer", index=True),
    Column("model", "string", index=True),
    Column("status", "string"),
    Column("owner_principal", "string"),
    Column("access_attributes", "json"),
    Column("lease_until", "float"),
    Column("response", "json"),
    Column("input", "json"),
    Column("context", "json"),
]

UNFINISHED = ("queued", "in_progress")


def _owner(row: dict[str, Any]) -> Owner | None:
    if not row.get("owner_principal"):
        return None
    return Owner(principal=row["owner_principal"], attributes=row.get("access_attributes") or {})


class ResponsesStore:
    """Response rows in one SQL table.

    With `durable` off (the default), a finished response is written behind the
    request, in batches, as the chat completions store is: the client never waits
    for the database. Rows not yet written are kept here and served to reads, so
    a follow-up request through this server always finds them; `close` writes
    them all. With `durable` on, each response is committed before the client is
    told it exists. Background responses are always committed first.
    """

    def __init__(
        self,
        store: SqlStore,
        table: str,
        access: AccessCheck,
        *,
        durable: bool = False,
        max_backlog: int = 10000,
    ) -> None:
        self._store = store
        self._table = table
        self._access = access
        self._durable = durable
        self._unwritten: dict[str, dict[str, Any]] = {}
        self._writes: GroupCommit[dict[str, Any]] = GroupCommit(
            f"{table} (responses)", self._insert_rows, max_backlog=max_backlog
        )

    async def _insert_rows(self, rows: list[dict[str, Any]]) -> None:
        try:
            await self._store.insert_many(self._table, rows, key=["id"])
        finally:
            for row in rows:
                self._unwritten.pop(row["id"], None)

    async def start(self) -> None:
        """Create the table."""
        await self._store.create_table(self._table, COLUMNS)

    async def close(self) -> None:
        """Write every queued response."""
        await self._writes.flush()

    def policy_id(self, response_id: str) -> str:
        """The name access_policy rules match."""
        return f"sql_record::{self._table}::{response_id}"

    def check_create(self, user: User | None, response_id: str) -> None:
        """403 unless the caller may create responses."""
        owner = Owner(principal=user.principal, attributes=dict(user.attributes)) if user else None
        if not self._access.is_allowed(user, "create", self.policy_id(response_id), owner):
            raise Forbidden("you may not create responses")

    def _visible(self, row: dict[str, Any], user: User | None, action: str = "read") -> bool:
        return self._access.is_allowed(user, action, self.policy_id(row["id"]), _owner(row))

    async def insert(
        self,
        response: dict[str, Any],
        input_items: list[dict[str, Any]],
        context: list[dict[str, Any]],
        user: User | None,
        lease_until: float | None = None,
    ) -> None:
        """Store a response with what it was given (see the class notes for when)."""
        row = {
            "id": response["id"],
            "created_at": response["created_at"],
            "created_ns": time.time_ns(),
            "model": response["model"],
            "status": response["status"],
            "owner_principal": user.principal if user else None,
            "access_attributes": dict(user.attributes) if user else None,
            "lease_until": lease_until,
            "response": response,
            "input": input_items,
            "context": context,
        }
        if self._durable or lease_until is not None:
            await self._writes.write(row)
        else:
            self._unwritten[row["id"]] = row
            await self._writes.submit(row)

    async def finish(self, response: dict[str, Any], *, only_if: str | None = None) -> bool:
        """Write a background response's new state; with `only_if`, only from that status.

        Returns False when the row had moved on (cancelled through another server).
        """
        where: dict[str, Any] = {"id": response["id"]}
        if only_if is not None:
            where["status"] = only_if
        values: dict[str, Any] = {"status": response["status"], "response": response}
        if response["status"] not in UNFINISHED:
            values["lease_until"] = None
        return await self._store.update(self._table, values, where) > 0

    async def renew(self, response_id: str, lease_until: float) -> None:
        """Extend a background worker's lease."""
        await self._store.update(self._table, {"lease_until": lease_until}, {"id": response_id})

    async def status(self, response_id: str) -> str | None:
        """The stored status (None when the row is gone)."""
        row = await self._store.fetch_one(self._table, {"id": response_id})
        return None if row is None else str(row["status"])

    async def _fetch(self, response_id: str) -> dict[str, Any] | None:
        found = self._unwritten.get(response_id)
        if found is not None:
            return found
        return await self._store.fetch_one(self._table, {"id": response_id})

    async def row(
        self, response_id: str, user: User | None, action: str = "read"
    ) -> dict[str, Any]:
        """A response row the caller may see (404 otherwise, never 403 on read)."""
        row = await self._fetch(response_id)
        if row is None or not self._visible(row, user):
            raise NotFound(
                f"Response '{response_id}' not found. Use 'client.responses.list()' to list "
                "available Responses.",
                code="response_not_found",
            )
        if action != "read" and not self._visible(row, user, action):
            raise Forbidden(f"you may not {action} response {response_id!r}")
        return row

    async def list(
        self, user: User | None, query: ListQuery, model: str | None
    ) -> tuple[list[dict[str, Any]], bool]:
        """A page of rows the caller may read, and whether more follow."""
        if query.order not in ("asc", "desc"):
            raise InvalidParameter("order", "must be 'asc' or 'desc'")
        if not 1 <= query.limit <= 100:
            raise InvalidParameter("limit", "must be between 1 and 100")
        await self._writes.flush()  # a list shows every response created before it
        if query.after is not None:
            await self.row(query.after, user)
        where = {"model": model} if model else {}
        rows: list[dict[str, Any]] = []
        cursor, has_more = query.after, True
        while len(rows) <= query.limit and has_more:
            page = await self._store.fetch_page(
                self._table,
                where,
                order_by="created_ns",
                descending=query.order == "desc",
                limit=query.limit,
                after=cursor,
            )
            has_more = page.has_more
            rows += [r for r in page.rows if self._visible(r, user)]
            cursor = page.rows[-1]["id"] if page.rows else None
        return rows[: query.limit], has_more or len(rows) > query.limit

    async def delete(self, response_id: str, user: User | None) -> None:
        """Delete a response the caller may delete."""
        await self.row(response_id, user, "delete")
        if response_id in self._unwritten:
            await self._writes.flush()
        await self._store.delete(self._table, {"id": response_id})

    async def expire_orphans(self, now: float | None = None) -> int:
        """Mark failed the unfinished background responses whose worker's lease ran out."""
        now = time.time() if now is None else now
        count = 0
        for status in UNFINISHED:
            page = await self._store.fetch_page(
                self._table, {"status": status}, order_by="created_ns", limit=1000
            )
            for row in page.rows:
                lease = row.get("lease_until")
                if lease is not None and lease >= now:
                    continue
                response = dict(row["response"])
                response["status"] = "failed"
                response["error"] = {
                    "code": "server_error",
                    "message": "the server running this background response stopped before "
                    "it finished",
                }
                if await self.finish(response, only_if=status):
                    count += 1
        return count
