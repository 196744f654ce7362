"""OpenAI-style list pages (``limit``, ``order``, ``after``, ``before``) over in-memory records."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from corral.apis.vector_io.models import VectorStoreList
from corral.errors import InvalidParameter


def paginate(
    records: Sequence[Any],
    render: Callable[[Any], Any],
    *,
    limit: int,
    order: str,
    after: str | None,
    before: str | None,
    key: Callable[[Any], Any] = lambda r: (r.created_at, r.id),
) -> VectorStoreList:
    """An OpenAI list page over records with an ``id``, ordered by `key` (creation time)."""
    if order not in ("asc", "desc"):
        raise InvalidParameter("order", "must be 'asc' or 'desc'")
    if not 1 <= limit <= 100:
        raise InvalidParameter("limit", "must be between 1 and 100")
    ordered = sorted(records, key=key, reverse=order == "desc")
    ids = [r.id for r in ordered]
    for cursor, name in ((after, "after"), (before, "before")):
        if cursor is not None and cursor not in ids:
            raise InvalidParameter(name, f"{cursor!r} is not in this list")
    if after is not None:
        ordered = ordered[ids.index(after) + 1 :]
    if before is not None:
        ordered = ordered[: _position(ordered, before)]
    data = [render(r) for r in ordered[:limit]]
    return VectorStoreList(
        data=data,
        first_id=data[0].id if data else None,
        last_id=data[-1].id if data else None,
        has_more=len(ordered) > limit,
    )


def _position(records: Sequence[Any], record_id: str) -> int:
    for i, record in enumerate(records):
        if record.id == record_id:
            return i
    return len(records)
