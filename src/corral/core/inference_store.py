"""The inference store: every chat completion with its input messages, owner-stamped.

Writes go through the store's bounded `WriteQueue`, after the response has been
handed to the client; a streamed completion is assembled from its raw chunks in
the writer task, not on the request path. Reads are filtered by access policy
as ``sql_record::<table>::<id>`` records owned by the stamped principal.

Upstreams may reuse completion ids, so two users' completions can share one.
A row is therefore keyed by the id *and* its owner (``<id>@<hash of the
principal>``; unauthenticated rows keep the bare id), with the completion's
own id in ``completion_id``: neither owner's record replaces or hides the
other's. A lookup tries the caller's own key first, then any visible row with
that completion id (an access_policy may let one user read another's), then
a bare-id row written before this scheme.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from corral.apis.context import User
from corral.apis.resources import Owner
from corral.apis.storage import Column, SqlStore
from corral.auth.access_policy import AccessPolicy
from corral.errors import InvalidParameter, NotFound
from corral.storage.write_queue import WriteQueue

COLUMNS = [
    Column("id", "string", primary_key=True),
    Column("completion_id", "string", index=True),
    Column("created", "integer", index=True),
    Column("model", "string", index=True),
    Column("owner_principal", "string", index=True),
    Column("access_attributes", "json"),
    Column("input_messages", "json"),
    Column("completion", "json"),
]


@dataclass(frozen=True)
class PendingWrite:
    """One completion waiting to be stored: a response object or raw stream chunks."""

    messages: Any
    completion: dict[str, Any] | None
    chunks: Sequence[bytes]
    user: User | None


class InferenceStore:
    """Chat completions persisted in a SQL table through a batching write queue."""

    def __init__(
        self, store: SqlStore, table: str, max_queue: int, writers: int, access: AccessPolicy
    ) -> None:
        self._store = store
        self._table = table
        self.table = table
        self._access = access
        self._queue: WriteQueue[PendingWrite] = WriteQueue(
            f"{table} (inference store)", max_queue, writers, self._write_batch
        )

    async def start(self) -> None:
        """Create the table and start the writers."""
        await self._store.create_table(self._table, COLUMNS)
        self._queue.start()

    async def close(self) -> None:
        """Flush pending writes."""
        await self._queue.close()

    def queue_stats(self) -> tuple[int, int]:
        """(writes waiting, writes dropped so far) of the write queue, for /metrics."""
        return self._queue.depth(), self._queue.dropped

    def record(
        self, request: dict[str, Any], completion: dict[str, Any], user: User | None
    ) -> None:
        """Queue a finished non-streamed completion."""
        self._queue.submit(PendingWrite(request.get("messages", []), completion, (), user))

    def record_stream(
        self, request: dict[str, Any], chunks: Sequence[bytes], user: User | None
    ) -> None:
        """Queue a streamed completion; the writer assembles it from `chunks`."""
        self._queue.submit(PendingWrite(request.get("messages", []), None, chunks, user))

    async def _write_batch(self, batch: list[PendingWrite]) -> None:
        rows = [row for item in batch if (row := _row(item)) is not None]
        await self._store.insert_many(self._table, rows, key=["id"])

    def _visible(self, row: dict[str, Any], user: User | None) -> bool:
        policy_id = f"sql_record::{self._table}::{row.get('completion_id') or row['id']}"
        return self._access.is_allowed(user, "read", policy_id, _owner(row))

    async def _find(self, completion_id: str, user: User | None) -> dict[str, Any] | None:
        """The row `user` sees under `completion_id`: theirs, another visible one, a legacy one."""
        if user is not None:
            own = await self._store.fetch_one(self._table, {"id": row_key(completion_id, user)})
            if own is not None and self._visible(own, user):
                return own
        page = await self._store.fetch_page(
            self._table, {"completion_id": completion_id}, order_by="created", limit=20
        )
        for row in page.rows:
            if self._visible(row, user):
                return row
        legacy = await self._store.fetch_one(self._table, {"id": completion_id})
        if legacy is not None and self._visible(legacy, user):
            return legacy
        return None

    async def owner(self, completion_id: str, user: User | None) -> tuple[bool, Owner | None]:
        """(found, owner) of the record `user` would be shown under `completion_id`.

        For ``/v1/access/explain``: the same lookup `get` does, without the access check.
        """
        row = None
        if user is not None:
            row = await self._store.fetch_one(self._table, {"id": row_key(completion_id, user)})
        if row is None:
            page = await self._store.fetch_page(
                self._table, {"completion_id": completion_id}, order_by="created", limit=1
            )
            row = page.rows[0] if page.rows else None
        if row is None:
            row = await self._store.fetch_one(self._table, {"id": completion_id})
        return (row is not None, _owner(row) if row is not None else None)

    async def get(self, completion_id: str, user: User | None) -> dict[str, Any]:
        """One stored completion with its input messages."""
        row = await self._find(completion_id, user)
        if row is None:
            raise NotFound(
                f"chat completion {completion_id!r} not found", code="completion_not_found"
            )
        return _payload(row)

    async def list(
        self, user: User | None, *, after: str | None, limit: int, model: str | None, order: str
    ) -> dict[str, Any]:
        """A page of stored completions, newest first unless `order` is ``asc``."""
        if order not in ("asc", "desc"):
            raise InvalidParameter("order", "must be 'asc' or 'desc'")
        if not 1 <= limit <= 1000:
            raise InvalidParameter("limit", "must be between 1 and 1000")
        where = {"model": model} if model else {}
        rows: list[dict[str, Any]] = []
        cursor: str | None = None
        if after is not None:  # a completion id: the page cursor is its row's key
            found = await self._find(after, user)
            cursor = found["id"] if found is not None else after
        has_more = True
        while len(rows) < limit and has_more:
            page = await self._store.fetch_page(
                self._table,
                where,
                order_by="created",
                descending=order == "desc",
                limit=limit,
                after=cursor,
            )
            has_more = page.has_more
            rows += [r for r in page.rows if self._visible(r, user)]
            cursor = page.rows[-1]["id"] if page.rows else None
        more = has_more or len(rows) > limit
        data = [_payload(r) for r in rows[:limit]]
        return {
            "object": "list",
            "data": data,
            "has_more": more,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }


def _row(item: PendingWrite) -> dict[str, Any] | None:
    completion = item.completion if item.completion is not None else assemble_chunks(item.chunks)
    if completion is None or not isinstance(completion.get("id"), str):
        return None
    user = item.user
    return {
        "id": row_key(completion["id"], user),
        "completion_id": completion["id"],
        "created": int(completion.get("created") or time.time()),
        "model": str(completion.get("model", "")),
        "owner_principal": user.principal if user else None,
        "access_attributes": dict(user.attributes) if user else None,
        "input_messages": item.messages,
        "completion": completion,
    }


def row_key(completion_id: str, user: User | None) -> str:
    """The row's primary key: the completion id, qualified by its owner when there is one."""
    if user is None:
        return completion_id
    return f"{completion_id}@{hashlib.sha256(user.principal.encode()).hexdigest()[:16]}"


def _owner(row: dict[str, Any]) -> Owner | None:
    if not row.get("owner_principal"):
        return None
    return Owner(principal=row["owner_principal"], attributes=row.get("access_attributes") or {})


def _payload(row: dict[str, Any]) -> dict[str, Any]:
    completion = dict(row["completion"])
    completion["input_messages"] = row["input_messages"] or []
    return completion


def assemble_chunks(chunks: Sequence[bytes]) -> dict[str, Any] | None:
    """Rebuild the non-streamed completion object from streamed chunk payloads."""
    parsed = [orjson.loads(c) for c in chunks]
    if not parsed:
        return None
    first = parsed[0]
    choices: dict[int, dict[str, Any]] = {}
    usage = None
    for chunk in parsed:
        usage = chunk.get("usage") or usage
        for choice in chunk.get("choices") or []:
            _merge_choice(choices.setdefault(choice.get("index", 0), _empty_choice(choice)), choice)
    return {
        "id": first.get("id"),
        "object": "chat.completion",
        "created": first.get("created"),
        "model": first.get("model"),
        "choices": [_finish(choices[i]) for i in sorted(choices)],
        "usage": usage,
    }


def _empty_choice(choice: dict[str, Any]) -> dict[str, Any]:
    return {
        "index": choice.get("index", 0),
        "content": [],
        "tool_calls": {},
        "finish_reason": None,
        "role": "assistant",
    }


def _merge_choice(acc: dict[str, Any], choice: dict[str, Any]) -> None:
    delta = choice.get("delta") or {}
    if delta.get("role"):
        acc["role"] = delta["role"]
    if delta.get("content"):
        acc["content"].append(delta["content"])
    for call in delta.get("tool_calls") or []:
        slot = acc["tool_calls"].setdefault(
            call.get("index", 0),
            {"id": None, "type": "function", "function": {"name": "", "arguments": ""}},
        )
        slot["id"] = call.get("id") or slot["id"]
        fn = call.get("function") or {}
        slot["function"]["name"] += fn.get("name") or ""
        slot["function"]["arguments"] += fn.get("arguments") or ""
    if choice.get("finish_reason"):
        acc["finish_reason"] = choice["finish_reason"]


def _finish(acc: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": acc["role"], "content": "".join(acc["content"]) or None}
    if acc["tool_calls"]:
        message["tool_calls"] = [acc["tool_calls"][i] for i in sorted(acc["tool_calls"])]
    return {"index": acc["index"], "message": message, "finish_reason": acc["finish_reason"]}
