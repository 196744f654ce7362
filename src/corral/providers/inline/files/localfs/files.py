"""`LocalfsFiles`: uploads as files in one folder, their records in a SQL table.

Bytes are written off the event loop in ~1 MiB slices into a temporary file
that is renamed into place only when the record is stored, so an aborted or
oversized upload leaves nothing visible. Records are owner-stamped and every
read or delete is checked against access_policy as
``sql_record::openai_files::<id>`` (and ``sql_record::<table>::<id>`` when the
table is named differently).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

from corral.apis.context import RequestContext, User
from corral.apis.files.api import FileContent, UploadInfo
from corral.apis.files.models import FileDeleted, FileList, OpenAIFileObject
from corral.apis.resources import Owner
from corral.apis.spec import AccessCheck
from corral.apis.storage import Column, SqlStore
from corral.errors import Forbidden, InvalidParameter, NotFound, PayloadTooLarge

log = logging.getLogger("corral.files")

COLUMNS = [
    Column("id", "string", primary_key=True),
    Column("filename", "text"),
    Column("purpose", "string", index=True),
    Column("bytes", "integer"),
    Column("created_at", "integer", index=True),
    Column("expires_at", "integer"),
    Column("owner_principal", "string", index=True),
    Column("access_attributes", "json"),
]

_FLUSH_BYTES = 1 << 20
DOCUMENTED_TABLE = "openai_files"


class LocalfsFiles:
    """The ``inline::localfs`` files provider."""

    def __init__(
        self,
        store: SqlStore,
        table: str,
        storage_dir: str,
        *,
        ttl_secs: int,
        max_file_size: int,
        access: AccessCheck,
    ) -> None:
        self._store = store
        self._table = table
        self.root = Path(storage_dir).expanduser()
        self.ttl_secs = ttl_secs
        self.max_file_size = max_file_size
        self._access = access

    async def start(self) -> None:
        """Create the folder and the table."""
        await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)
        await self._store.create_table(self._table, COLUMNS)

    def policy_ids(self, file_id: str) -> tuple[str, ...]:
        """The names access_policy rules may use for one file record."""
        documented = f"sql_record::{DOCUMENTED_TABLE}::{file_id}"
        if self._table == DOCUMENTED_TABLE:
            return (documented,)
        return (documented, f"sql_record::{self._table}::{file_id}")

    def path_of(self, file_id: str) -> Path:
        """Where a stored file's bytes live."""
        return self.root / file_id

    async def open_upload(self, ctx: RequestContext) -> LocalfsUpload:
        """A sink for one upload; the caller must be allowed to create files."""
        # Time-ordered ids: files uploaded within the same second still list in upload order.
        file_id = f"file-{time.time_ns():016x}{uuid.uuid4().hex[:16]}"
        if not self._access.is_allowed(ctx.user, "create", self.policy_ids(file_id), None):
            raise Forbidden("not allowed to upload files")
        return LocalfsUpload(self, file_id, ctx.user)

    async def store_record(self, row: dict[str, Any]) -> None:
        """Insert one file record (used by `LocalfsUpload.commit`)."""
        await self._store.insert(self._table, row)

    def _visible(self, row: dict[str, Any], user: User | None, action: str = "read") -> bool:
        owner = None
        if row.get("owner_principal"):
            owner = Owner(
                principal=row["owner_principal"], attributes=row.get("access_attributes") or {}
            )
        return self._access.is_allowed(user, action, self.policy_ids(row["id"]), owner)

    async def _row(self, file_id: str, user: User | None) -> dict[str, Any]:
        row = await self._store.fetch_one(self._table, {"id": file_id})
        if row is None or _expired(row) or not self._visible(row, user):
            raise NotFound(f"file {file_id!r} not found", code="file_not_found")
        return row

    async def get_file(self, file_id: str, ctx: RequestContext) -> OpenAIFileObject:
        """One file's record."""
        return _file_object(await self._row(file_id, ctx.user))

    async def read_file(self, file_id: str, ctx: RequestContext) -> FileContent:
        """One file's bytes, read in a worker thread."""
        row = await self._row(file_id, ctx.user)
        try:
            data = await asyncio.to_thread(self.path_of(file_id).read_bytes)
        except FileNotFoundError:
            raise NotFound(
                f"file {file_id!r} has a record but its content is missing from the storage folder",
                code="file_content_missing",
            ) from None
        return FileContent(_file_object(row), data)

    async def iter_content(
        self, file_id: str, ctx: RequestContext, chunk_size: int = 1 << 20
    ) -> AsyncIterator[bytes]:
        """One file's bytes in chunks, each read in a worker thread."""
        await self._row(file_id, ctx.user)
        try:
            fh = await asyncio.to_thread(self.path_of(file_id).open, "rb")
        except FileNotFoundError:
            raise NotFound(
                f"file {file_id!r} has a record but its content is missing from the storage folder",
                code="file_content_missing",
            ) from None
        try:
            while chunk := await asyncio.to_thread(fh.read, chunk_size):
                yield chunk
        finally:
            await asyncio.to_thread(fh.close)

    async def delete_file(self, file_id: str, ctx: RequestContext) -> FileDeleted:
        """Delete the record, then the bytes."""
        row = await self._row(file_id, ctx.user)
        if not self._visible(row, ctx.user, "delete"):
            raise Forbidden(f"not allowed to delete file {file_id!r}")
        await self._store.delete(self._table, {"id": file_id})
        await asyncio.to_thread(self.path_of(file_id).unlink, missing_ok=True)
        return FileDeleted(id=file_id, deleted=True)

    async def list_files(
        self,
        ctx: RequestContext,
        *,
        after: str | None,
        limit: int,
        order: str,
        purpose: str | None,
    ) -> FileList:
        """A page of readable, unexpired files."""
        if order not in ("asc", "desc"):
            raise InvalidParameter("order", "must be 'asc' or 'desc'")
        if not 1 <= limit <= 10000:
            raise InvalidParameter("limit", "must be between 1 and 10000")
        where = {"purpose": purpose} if purpose else {}
        rows: list[dict[str, Any]] = []
        cursor, has_more = after, True
        while len(rows) <= limit and has_more:
            page = await self._store.fetch_page(
                self._table,
                where,
                order_by="created_at",
                descending=order == "desc",
                limit=limit + 1,
                after=cursor,
            )
            has_more = page.has_more
            rows += [r for r in page.rows if not _expired(r) and self._visible(r, ctx.user)]
            cursor = page.rows[-1]["id"] if page.rows else None
        data = [_file_object(r) for r in rows[:limit]]
        return FileList(
            data=data,
            has_more=len(rows) > limit,
            first_id=data[0].id if data else None,
            last_id=data[-1].id if data else None,
        )

    async def shutdown(self) -> None:
        """Nothing to release (the SQL backend is owned by the storage manager)."""


class LocalfsUpload:
    """One upload in progress: a temporary file in the storage folder."""

    def __init__(self, files: LocalfsFiles, file_id: str, user: User | None) -> None:
        self._files = files
        self.file_id = file_id
        self._user = user
        self._tmp = files.root / f".upload-{file_id}"
        self._fh: IO[bytes] | None = None
        self._buffer: list[bytes] = []
        self._buffered = 0
        self.size = 0

    async def write(self, chunk: bytes) -> None:
        """Buffer `chunk`; flush to disk in a worker thread every ~1 MiB."""
        self.size += len(chunk)
        if self.size > self._files.max_file_size:
            await self.abort()
            raise PayloadTooLarge(
                f"file is larger than the {self._files.max_file_size} bytes this server accepts "
                "(inline::localfs max_file_size_bytes)",
                code="file_too_large",
            )
        self._buffer.append(chunk)
        self._buffered += len(chunk)
        if self._buffered >= _FLUSH_BYTES:
            await self._flush()

    async def _flush(self) -> None:
        data, self._buffer, self._buffered = b"".join(self._buffer), [], 0
        await asyncio.to_thread(self._write_sync, data)

    def _write_sync(self, data: bytes) -> None:
        if self._fh is None:
            self._fh = self._tmp.open("wb")
        self._fh.write(data)

    def _finish_sync(self, final: Path) -> None:
        if self._fh is None:
            self._fh = self._tmp.open("wb")
        self._fh.close()
        self._tmp.replace(final)

    async def commit(self, info: UploadInfo) -> OpenAIFileObject:
        """Move the bytes into place and store the owner-stamped record."""
        if self._buffer:
            await self._flush()
        final = self._files.path_of(self.file_id)
        await asyncio.to_thread(self._finish_sync, final)
        now = int(time.time())
        lifetime = info.expires_after_seconds or self._files.ttl_secs
        row = {
            "id": self.file_id,
            "filename": info.filename,
            "purpose": info.purpose,
            "bytes": self.size,
            "created_at": now,
            "expires_at": now + lifetime,
            "owner_principal": self._user.principal if self._user else None,
            "access_attributes": dict(self._user.attributes) if self._user else None,
        }
        try:
            await self._files.store_record(row)
        except BaseException:
            await asyncio.to_thread(final.unlink, missing_ok=True)
            raise
        return _file_object(row)

    async def abort(self) -> None:
        """Close and remove the temporary file."""
        self._buffer, self._buffered = [], 0
        fh, self._fh = self._fh, None
        await asyncio.to_thread(_discard, fh, self._tmp)


def _discard(fh: IO[bytes] | None, path: Path) -> None:
    if fh is not None:
        fh.close()
    path.unlink(missing_ok=True)


def _expired(row: dict[str, Any]) -> bool:
    expires = row.get("expires_at")
    return expires is not None and expires <= time.time()


def _file_object(row: dict[str, Any]) -> OpenAIFileObject:
    return OpenAIFileObject(
        id=row["id"],
        bytes=int(row["bytes"]),
        created_at=int(row["created_at"]),
        expires_at=row.get("expires_at"),
        filename=row["filename"],
        purpose=row["purpose"],
    )
