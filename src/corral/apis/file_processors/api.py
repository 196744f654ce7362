"""What a file processor implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from corral.apis.context import RequestContext
from corral.apis.file_processors.models import ProcessFileResponse
from corral.apis.vector_io.models import StaticChunking


@dataclass(frozen=True)
class FileInput:
    """The file to process: uploaded bytes, or the id of a file in the files API."""

    data: bytes | None = None
    filename: str | None = None
    file_id: str | None = None


@runtime_checkable
class FileProcessorsProvider(Protocol):
    """Turns a file into chunks ready for a vector store."""

    max_file_size: int

    async def process_file(
        self,
        source: FileInput,
        chunking: StaticChunking | None,
        options: dict[str, Any],
        ctx: RequestContext,
    ) -> ProcessFileResponse:
        """The file's chunks (`chunking` None: the provider's default sizes)."""
        ...

    async def shutdown(self) -> None:
        """Release what the provider holds."""
        ...
