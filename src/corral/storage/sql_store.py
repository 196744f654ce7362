"""SQL stores on SQLAlchemy 2 core, one engine per backend.

SQLite runs a synchronous engine on one dedicated thread: every store
operation (a whole transaction) is a single hop to that thread, instead of the
several thread hops and greenlet switches per transaction an async driver
costs the event loop (measured: the inference store's writes delayed the next
stream's first chunk by ~0.4 ms). PostgreSQL uses asyncpg, the operation
running as one greenlet on the async connection.

Tables are described by `Column` specs and created on first use; every query is
built with SQLAlchemy expressions, so values are always bound parameters and
table/column names are checked against an identifier pattern first.
"""

from __future__ import annotations

import functools
import re
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from corral.apis.storage import Column, Page
from corral.errors import InvalidRequest, ServiceUnavailable
from corral.storage.sqlite_wal import enable_wal
from corral.storage.worker_thread import WorkerThread

T = TypeVar("T")
Work = Callable[[sa.Connection], T]
_ERRORS = (OperationalError, DBAPIError, OSError)

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


@dataclass(frozen=True)
class SqlPool:
    """The pool settings of a ``sql_postgres`` backend, as SQLAlchemy and asyncpg take them."""

    size: int = 10
    max_overflow: int = 20
    recycle: int = -1
    pre_ping: bool = True
    ssl: str | ssl.SSLContext | None = None

    def engine_options(self) -> dict[str, Any]:
        """Keyword arguments of ``create_async_engine``."""
        options: dict[str, Any] = {
            "pool_size": self.size,
            "max_overflow": self.max_overflow,
            "pool_recycle": self.recycle,
            "pool_pre_ping": self.pre_ping,
        }
        if self.ssl is not None:
            options["connect_args"] = {"ssl": self.ssl}
        return options


class SqlBackend:
    """One engine (connection pool) for a ``sql_sqlite`` or ``sql_postgres`` backend."""

    def __init__(self, name: str, url: sa.URL, address: str, pool: SqlPool | None) -> None:
        self.name = name
        self.address = address
        self._url = url
        self._pool = pool
        self.dialect = "sqlite" if url.get_backend_name() == "sqlite" else "postgresql"
        self._engine: AsyncEngine | None = None
        self._sync_engine: sa.Engine | None = None
        self._thread: WorkerThread | None = None
        self.metadata = sa.MetaData()
        self._statements: dict[tuple[Any, ...], Any] = {}

    async def open(self) -> None:
        """Create the engine and check a connection works."""
        options: dict[str, Any] = {
            "pool_pre_ping": True,
            "json_serializer": lambda obj: orjson.dumps(obj).decode(),
            "json_deserializer": orjson.loads,
        }
        if self.dialect == "sqlite":
            await self._open_sqlite(options)
            return
        if self._pool is not None:
            options.update(self._pool.engine_options())
        engine = create_async_engine(self._url, **options)
        try:
            async with engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
        except BaseException:
            await engine.dispose()
            raise
        self._engine = engine

    async def _open_sqlite(self, options: dict[str, Any]) -> None:
        url = self._url.set(drivername="sqlite")
        # A local file on our own thread cannot drop its connection: no "SELECT 1" before
        # every operation.
        options["pool_pre_ping"] = False
        options["connect_args"] = {"timeout": 5, "check_same_thread": False}
        engine = sa.create_engine(url, **options)
        # As the KV store: WAL with synchronous=NORMAL, so a commit is durable once it is in
        # the WAL (a crashed or killed process loses nothing); only a power cut or an OS crash
        # can lose the last commits. FULL fsyncs every commit (a few ms each on this disk).
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        self._thread = WorkerThread(f"sql-{self.name}")

        def check() -> None:
            with engine.connect() as conn:
                enable_wal(conn.exec_driver_sql)
                conn.execute(sa.text("SELECT 1"))

        try:
            await self._thread.run(check)
        except BaseException:
            await self._stop_sqlite(engine)
            raise
        self._sync_engine = engine

    async def _stop_sqlite(self, engine: sa.Engine) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            await thread.run(engine.dispose)
            await thread.stop()

    async def close(self) -> None:
        """Dispose of the pool."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
        if self._sync_engine is not None:
            engine, self._sync_engine = self._sync_engine, None
            await self._stop_sqlite(engine)

    async def run(self, work: Work[T], *, write: bool) -> T:
        """Do `work` on one connection (in one transaction when `write`); failures are 503s."""
        try:
            if self._sync_engine is not None and self._thread is not None:
                call = functools.partial(_in_connection, self._sync_engine, work, write)
                return await self._thread.run(call)
            if self._engine is None:
                raise ServiceUnavailable(f"storage backend {self.name!r} is closed")
            context = self._engine.begin() if write else self._engine.connect()
            async with context as conn:
                return await conn.run_sync(work)
        except _ERRORS as exc:
            raise self.unavailable(exc) from exc

    def unavailable(self, exc: Exception) -> ServiceUnavailable:
        """The 503 for a failed operation."""
        return ServiceUnavailable(
            f"storage backend {self.name!r} ({self.address}) is unavailable: {exc}"
        )

    def statement(self, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
        """A statement built once per shape and reused.

        Building one costs more than running it: an upsert's ``excluded`` columns alone
        were a fifth of the CPU of a stored response.
        """
        found = self._statements.get(key)
        if found is None:
            found = self._statements[key] = build()
        return found

    def store(self, table: str) -> SqlAlchemyStore:
        """A store scoped to one table."""
        return SqlAlchemyStore(self, _ident(table))


def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
    dbapi_connection.execute("PRAGMA synchronous = NORMAL")


def _in_connection(engine: sa.Engine, work: Work[T], write: bool) -> T:
    with engine.begin() if write else engine.connect() as conn:
        return work(conn)


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

        def create(conn: sa.Connection) -> None:
            if conn.dialect.name == "postgresql":
                # Workers and replicas create tables together; serialise it.
                lock = sa.text("SELECT pg_advisory_xact_lock(hashtext(:name))")
                conn.execute(lock, {"name": f"corral-create-{name}"})
            target.create(conn, checkfirst=True)

        await self._b.run(create, write=True)

    async def insert(self, table: str, row: Mapping[str, Any]) -> None:
        """Insert one row."""
        stmt = self._b.statement(("insert", table), lambda: sa.insert(self._table(table)))
        params = dict(row)
        await self._b.run(lambda conn: conn.execute(stmt, params), write=True)

    def _dialect_insert(self, table: str) -> Any:
        """An INSERT that supports ON CONFLICT on this backend's dialect."""
        t = self._table(table)
        if self._b.dialect == "postgresql":
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
        keys = tuple(key)
        stmt = self._b.statement(
            ("insert_many", table, keys),
            lambda: self._dialect_insert(table).on_conflict_do_nothing(index_elements=list(keys)),
        )
        params = [dict(r) for r in rows]
        await self._b.run(lambda conn: conn.execute(stmt, params), write=True)

    async def upsert(self, table: str, row: Mapping[str, Any], key: Sequence[str]) -> None:
        """Insert or update the row identified by `key`."""
        columns, keys = tuple(row), tuple(key)

        def build() -> Any:
            stmt: Any = self._dialect_insert(table)
            updates = {c: stmt.excluded[c] for c in columns if c not in keys}
            if updates:
                return stmt.on_conflict_do_update(index_elements=list(keys), set_=updates)
            return stmt.on_conflict_do_nothing(index_elements=list(keys))

        stmt = self._b.statement(("upsert", table, columns, keys), build)
        params = dict(row)
        await self._b.run(lambda conn: conn.execute(stmt, params), write=True)

    async def fetch_one(self, table: str, where: Mapping[str, Any]) -> dict[str, Any] | None:
        """First matching row."""
        t = self._table(table)
        stmt = sa.select(t).where(*_eq(t, where)).limit(1)

        def first(conn: sa.Connection) -> dict[str, Any] | None:
            row = conn.execute(stmt).mappings().first()
            return dict(row) if row is not None else None

        return await self._b.run(first, write=False)

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
        rows = await self._b.run(
            lambda conn: [dict(r) for r in conn.execute(stmt).mappings().all()], write=False
        )
        return Page(rows=rows[:limit], has_more=len(rows) > limit)

    async def update(self, table: str, values: Mapping[str, Any], where: Mapping[str, Any]) -> int:
        """Update matching rows."""
        t = self._table(table)
        stmt = sa.update(t).where(*_eq(t, where)).values(dict(values))
        return await self._b.run(lambda conn: int(conn.execute(stmt).rowcount), write=True)

    async def delete(self, table: str, where: Mapping[str, Any]) -> int:
        """Delete matching rows."""
        t = self._table(table)
        stmt = sa.delete(t).where(*_eq(t, where))
        return await self._b.run(lambda conn: int(conn.execute(stmt).rowcount), write=True)


def _eq(table: sa.Table, where: Mapping[str, Any]) -> list[Any]:
    return [table.c[_ident(k)] == v for k, v in where.items()]
