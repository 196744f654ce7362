"""What a files provider implements.

Uploads are streamed: the route asks the provider for an `UploadSink`, writes
the file part into it as it arrives (the sink enforces the size limit), and
commits it once the whole form is read, so the form fields may come in any
order and a rejected upload leaves nothing behind. Every read and delete is
checked against access_policy by the provider, as ``sql_record`` records owned
by the uploader.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from corral.apis.context import RequestContext
from corral.apis.files.models import FileDeleted, FileList, OpenAIFileObject


@dataclass(frozen=True)
class UploadInfo:
    """The form fields of an upload besides the file's bytes."""

    filename: str
    purpose: str
    expires_after_seconds: int | None = None


@dataclass(frozen=True)
class FileContent:
    """A stored file's bytes with its record."""

    file: OpenAIFileObject
    data: bytes


class UploadSink(Protocol):
    """Where one upload's bytes go while the request body streams in."""

    async def write(self, chunk: bytes) -> None:
        """Append bytes; raises `PayloadTooLarge` past the provider's limit."""
        ...

    async def commit(self, info: UploadInfo) -> OpenAIFileObject:
        """Store the upload with its metadata, stamped with the caller as owner."""
        ...

    async def abort(self) -> None:
        """Discard what was written (idempotent)."""
        ...


@runtime_checkable
class FilesProvider(Protocol):
    """A file store: bytes somewhere, metadata in a SQL store."""

    max_file_size: int

    async def open_upload(self, ctx: RequestContext) -> UploadSink:
        """A sink for one new upload (`Forbidden` when the caller may not create files)."""
        ...

    async def list_files(
        self,
        ctx: RequestContext,
        *,
        after: str | None,
        limit: int,
        order: str,
        purpose: str | None,
    ) -> FileList:
        """A page of the files the caller may read, newest first unless `order` is ``asc``."""
        ...

    async def get_file(self, file_id: str, ctx: RequestContext) -> OpenAIFileObject:
        """One file's record (`NotFound` when missing, expired or not readable)."""
        ...

    async def read_file(self, file_id: str, ctx: RequestContext) -> FileContent:
        """One file's bytes (read off the event loop)."""
        ...

    def iter_content(
        self, file_id: str, ctx: RequestContext, chunk_size: int = 1 << 20
    ) -> AsyncIterator[bytes]:
        """One file's bytes in chunks of up to `chunk_size`, read off the event loop.

        For readers of large files (batch inputs) that must not hold a whole file in memory.
        """
        ...

    async def delete_file(self, file_id: str, ctx: RequestContext) -> FileDeleted:
        """Delete a file's bytes and record."""
        ...

    async def shutdown(self) -> None:
        """Release resources."""
        ...
