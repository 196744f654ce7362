"""The storage contracts every backend implements: a key-value store and a SQL store.

They live in the contract layer because providers are handed such stores
(`corral.apis.spec.ProviderStorage`); the backends are in `corral.storage`.

Values in the KV store are strings (callers store JSON). Every method is async;
backends reuse one connection pool per declared backend. A backend that cannot
reach its database raises `corral.errors.ServiceUnavailable`, which the server
maps to 503.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol


class KVStore(Protocol):
    """A namespaced key-value store."""

    async def get(self, key: str) -> str | None:
        """The value, or None when absent or expired."""
        ...

    async def set(self, key: str, value: str, expires_in: float | None = None) -> None:
        """Store `value`; with `expires_in` (seconds) it disappears after that."""
        ...

    async def delete(self, key: str) -> None:
        """Remove `key` (no error when absent)."""
        ...

    async def items_with_prefix(self, prefix: str) -> list[tuple[str, str]]:
        """All live (key, value) pairs whose key starts with `prefix`, sorted by key."""
        ...

    async def items_in_range(self, start: str, end: str) -> list[tuple[str, str]]:
        """All live (key, value) pairs with ``start <= key <= end``, sorted by key."""
        ...

    async def incr(self, key: str, expires_in: float) -> tuple[int, float]:
        """Atomically add 1 to the counter at `key` and return (new value, seconds to expiry).

        The expiry is set when the counter is created and never extended, so a
        counter counts one fixed window. Concurrent callers (other processes and
        hosts included) never lose an increment.
        """
        ...


ColumnType = Literal["string", "text", "integer", "float", "boolean", "json", "timestamp"]


@dataclass(frozen=True)
class Column:
    """One column of a SQL store table."""

    name: str
    type: ColumnType
    primary_key: bool = False
    nullable: bool = True
    index: bool = False


@dataclass(frozen=True)
class Page:
    """One page of rows and whether more follow."""

    rows: list[dict[str, Any]]
    has_more: bool


class SqlStore(Protocol):
    """A table-oriented store; all queries are parameterised."""

    async def create_table(self, table: str, columns: Sequence[Column]) -> None:
        """Create `table` if missing (adding missing columns is the backend's job)."""
        ...

    async def insert(self, table: str, row: Mapping[str, Any]) -> None:
        """Insert one row."""
        ...

    async def insert_many(
        self, table: str, rows: Sequence[Mapping[str, Any]], key: Sequence[str]
    ) -> None:
        """Insert rows in one transaction, skipping rows whose `key` already exists."""
        ...

    async def upsert(self, table: str, row: Mapping[str, Any], key: Sequence[str]) -> None:
        """Insert or replace the row identified by the `key` columns."""
        ...

    async def fetch_one(self, table: str, where: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row matching every equality in `where`."""
        ...

    async def fetch_page(
        self,
        table: str,
        where: Mapping[str, Any] | None = None,
        order_by: str = "created_at",
        descending: bool = True,
        limit: int = 100,
        after: Any = None,
        cursor_column: str = "id",
    ) -> Page:
        """Rows matching `where`, ordered, starting after the row whose cursor is `after`."""
        ...

    async def update(self, table: str, values: Mapping[str, Any], where: Mapping[str, Any]) -> int:
        """Update matching rows; returns how many."""
        ...

    async def delete(self, table: str, where: Mapping[str, Any]) -> int:
        """Delete matching rows; returns how many."""
        ...
