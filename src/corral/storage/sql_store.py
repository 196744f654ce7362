"""SQL stores on SQLAlchemy 2 async core (aiosqlite or asyncpg), one engine per backend.

Tables are described by `Column` specs and created on first use; every query is
built with SQLAlchemy expressions, so values are always bound parameters and
table/column names are checked against an identifier pattern first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from corral.errors import InvalidRequest, ServiceUnavailable
from corral.storage.api import Column, Page

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TYPES: dict[str, Any] = {
    "string": sa.String(255),
    "text": sa.Text(),
    "integer": sa.BigInteger(),
    "float": sa.Float(),
    "boolean": sa.Boolean(),
    "json": sa.JSON(),
    "timestamp": sa.Float(),
}


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise InvalidRequest(f"invalid SQL identifier {name!r}")
    return name


class SqlBackend:
    """One async engine (connection pool) for a ``sql_sqlite`` or ``sql_postgres`` backend."""

    def __init__(self, name: str, url: sa.URL, address: str, pool_size: int | None) -> None:
        self.name = name
        self.address = address
        self._url = url
        self._pool_size = pool_size
        self._engine: AsyncEngine | None = None
        self.metadata = sa.MetaData()

    async def open(self) -> None:
        """Create the engine and check a connection works."""
        options: dict[str, Any] = {
            "pool_pre_ping": True,
            "json_serializer": lambda obj: orjson.dumps(obj).decode(),
            "json_deserializer": orjson.loads,
        }
        if self._pool_size is not None:
            options["pool_size"] = self._pool_size
        else:
            options["connect_args"] = {"timeout": 5}
        engine = create_async_engine(self._url, **options)
        try:
            async with engine.connect() as conn:
                if self._url.get_backend_name() == "sqlite":
                    await conn.exec_driver_sql("PRAGMA journal_mode=WAL")
                await conn.execute(sa.text("SELECT 1"))
        except BaseException:
            await engine.dispose()
            raise
        self._engine = engine

    async def close(self) -> None:
        """Dispose of the pool."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    def engine(self) -> AsyncEngine:
        """The engine (503 when closed)."""
        if self._engine is None:
            raise ServiceUnavailable(f"storage backend {self.name!r} is closed")
        return self._engine

    def unavailable(self, exc: Exception) -> ServiceUnavailable:
        """The 503 for a failed operation."""
        return ServiceUnavailable(
            f"storage backend {self.name!r} ({self.address}) is unavailable: {exc}"
        )

    def store(self, table: str) -> SqlAlchemyStore:
        """A store scoped to one table."""
        return SqlAlchemyStore(self, _ident(table))


class SqlAlchemyStore:
    """A `SqlStore` on one backend; `table` is the default table name."""

    def __init__(self, backend: SqlBackend, table: str) -> None:
        self._b = backend
        self.table_name = table

    def _table(self, name: str) -> sa.Table:
        table = self._b.metadata.tables.get(_ident(name))
        if table is None:
            raise InvalidRequest(f"table {name!r} was not created")
        return table

    async def _run(self, statement: Any, *, write: bool) -> Any:
        try:
            if write:
                async with self._b.engine().begin() as conn:
                    return await conn.execute(statement)
            async with self._b.engine().connect() as conn:
                return await conn.execute(statement)
        except (OperationalError, DBAPIError, OSError) as exc:
            raise self._b.unavailable(exc) from exc

    async def create_table(self, table: str, columns: Sequence[Column]) -> None:
        """Create the table (and indexes) if missing."""
        name = _ident(table)
        if name not in self._b.metadata.tables:
            sa.Table(
                name,
                self._b.metadata,
                *(
                    sa.Column(
                        _ident(c.name),
                        _TYPES[c.type],
                        primary_key=c.primary_key,
                        nullable=c.nullable and not c.primary_key,
                        index=c.index,
                    )
                    for c in columns
                ),
            )
        target = self._b.metadata.tables[name]
        try:
            async with self._b.engine().begin() as conn:
                if conn.dialect.name == "postgresql":
                    # Workers and replicas create tables together; serialise it.
                    lock = sa.text("SELECT pg_advisory_xact_lock(hashtext(:name))")
                    await conn.execute(lock, {"name": f"corral-create-{name}"})
                await conn.run_sync(lambda sync: target.create(sync, checkfirst=True))
        except (OperationalError, DBAPIError, OSError) as exc:
            raise self._b.unavailable(exc) from exc

    async def insert(self, table: str, row: Mapping[str, Any]) -> None:
        """Insert one row."""
        await self._run(sa.insert(self._table(table)).values(dict(row)), write=True)

    def _dialect_insert(self, table: str) -> Any:
        """An INSERT that supports ON CONFLICT on this backend's dialect."""
        t = self._table(table)
        if self._b.engine().dialect.name == "postgresql":
            from sqlalchemy.dialects import postgresql

            return postgresql.insert(t)
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(t)

    async def insert_many(
        self, table: str, rows: Sequence[Mapping[str, Any]], key: Sequence[str]
    ) -> None:
        """Insert rows in one transaction (executemany), skipping existing keys."""
        if not rows:
            return
        stmt = self._dialect_insert(table).on_conflict_do_nothing(index_elements=list(key))
        try:
            async with self._b.engine().begin() as conn:
                await conn.execute(stmt, [dict(r) for r in rows])
        except (OperationalError, DBAPIError, OSError) as exc:
            raise self._b.unavailable(exc) from exc

    async def upsert(self, table: str, row: Mapping[str, Any], key: Sequence[str]) -> None:
        """Insert or update the row identified by `key`."""
        stmt: Any = self._dialect_insert(table).values(dict(row))
        updates = {c: stmt.excluded[c] for c in row if c not in key}
        if updates:
            stmt = stmt.on_conflict_do_update(index_elements=list(key), set_=updates)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(key))
        await self._run(stmt, write=True)

    async def fetch_one(self, table: str, where: Mapping[str, Any]) -> dict[str, Any] | None:
        """First matching row."""
        t = self._table(table)
        result = await self._run(sa.select(t).where(*_eq(t, where)).limit(1), write=False)
        row = result.mappings().first()
        return dict(row) if row is not None else None

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
        """Ordered rows after the row whose `cursor_column` equals `after`."""
        t = self._table(table)
        order_col, cursor_col = t.c[_ident(order_by)], t.c[_ident(cursor_column)]
        conditions = _eq(t, where or {})
        if after is not None:
            anchor = await self.fetch_one(table, {cursor_column: after})
            if anchor is None:
                raise InvalidRequest(f"cursor {after!r} does not name an existing row")
            pivot = anchor[order_by]
            if descending:
                conditions.append(
                    sa.or_(order_col < pivot, sa.and_(order_col == pivot, cursor_col < after))
                )
            else:
                conditions.append(
                    sa.or_(order_col > pivot, sa.and_(order_col == pivot, cursor_col > after))
                )
        ordering = [order_col.desc(), cursor_col.desc()] if descending else [order_col, cursor_col]
        stmt = sa.select(t).where(*conditions).order_by(*ordering).limit(limit + 1)
        rows = [dict(r) for r in (await self._run(stmt, write=False)).mappings().all()]
        return Page(rows=rows[:limit], has_more=len(rows) > limit)

    async def update(self, table: str, values: Mapping[str, Any], where: Mapping[str, Any]) -> int:
        """Update matching rows."""
        t = self._table(table)
        result = await self._run(
            sa.update(t).where(*_eq(t, where)).values(dict(values)), write=True
        )
        return int(result.rowcount)

    async def delete(self, table: str, where: Mapping[str, Any]) -> int:
        """Delete matching rows."""
        t = self._table(table)
        result = await self._run(sa.delete(t).where(*_eq(t, where)), write=True)
        return int(result.rowcount)


def _eq(table: sa.Table, where: Mapping[str, Any]) -> list[Any]:
    return [table.c[_ident(k)] == v for k, v in where.items()]
