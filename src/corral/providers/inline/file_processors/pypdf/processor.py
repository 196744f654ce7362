"""`PyPDFProcessor`: a file's text, cut into chunks with Llama Stack's chunk shape.

The text comes from the same extractor vector store ingestion uses (pypdf for
PDF; text, Markdown, HTML read directly) and is cut by the same token chunker,
so a file processed here chunks as it would when attached to a store. Parsing
runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import io
import re
import time
import uuid
from typing import Any

from corral.apis.context import RequestContext
from corral.apis.file_processors.api import FileInput
from corral.apis.file_processors.models import Chunk, ChunkMetadata, ProcessFileResponse
from corral.apis.files.api import FilesProvider
from corral.apis.vector_io.models import StaticChunking
from corral.errors import InvalidParameter, InvalidRequest
from corral.providers.inline.file_processors.pypdf.config import PyPDFFileProcessorConfig
from corral.providers.vector_stores.chunking import chunk_text, count_tokens
from corral.providers.vector_stores.extract import InvalidFile, UnsupportedFile, extract_text

_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_PDF_FACTS = ("title", "author", "subject", "creator", "producer", "creation_date")


class PyPDFProcessor:
    """Processes one file per call; holds nothing between calls."""

    def __init__(self, config: PyPDFFileProcessorConfig, files: FilesProvider | None) -> None:
        self.config = config
        self.max_file_size = config.max_file_size_bytes
        self._files = files

    async def process_file(
        self,
        source: FileInput,
        chunking: StaticChunking | None,
        options: dict[str, Any],
        ctx: RequestContext,
    ) -> ProcessFileResponse:
        """The file's chunks and facts about the run."""
        started = time.perf_counter()
        data, filename = await self._read(source, ctx)
        sizes = chunking or StaticChunking(
            max_chunk_size_tokens=self.config.default_chunk_size_tokens,
            chunk_overlap_tokens=self.config.default_chunk_overlap_tokens,
        )
        try:
            text, facts = await asyncio.to_thread(self._text_and_facts, data, filename)
        except (UnsupportedFile, InvalidFile) as exc:
            raise InvalidParameter("file", str(exc)) from None
        document_id = str(uuid.uuid4())
        document = {"filename": filename, **({"file_id": source.file_id} if source.file_id else {})}
        pieces = await asyncio.to_thread(chunk_text, text, sizes) if text.strip() else []
        chunks = [_chunk(p, document_id, document) for p in pieces]
        metadata = {
            "processor": "pypdf",
            "extraction_method": "pypdf" if facts else "text",
            "filename": filename,
            "processing_time_ms": round((time.perf_counter() - started) * 1000, 1),
            **facts,
        }
        return ProcessFileResponse(chunks=chunks, metadata=metadata)

    async def _read(self, source: FileInput, ctx: RequestContext) -> tuple[bytes, str]:
        if source.data is not None:
            return source.data, source.filename or "upload"
        if source.file_id is None:
            raise InvalidRequest("give exactly one of file and file_id")
        if self._files is None:
            raise InvalidParameter("file_id", "no files provider is configured on this server")
        content = await self._files.read_file(source.file_id, ctx)
        return content.data, content.file.filename

    def _text_and_facts(self, data: bytes, filename: str) -> tuple[str, dict[str, Any]]:
        text = extract_text(data, filename)
        if self.config.clean_text:
            text = _BLANK_LINES.sub("\n\n", _SPACES.sub(" ", text)).strip()
        facts = _pdf_facts(data) if self.config.extract_metadata and _is_pdf(data) else {}
        return text, facts

    async def shutdown(self) -> None:
        """Nothing to release."""


def _is_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-")


def _pdf_facts(data: bytes) -> dict[str, Any]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    facts: dict[str, Any] = {"page_count": len(reader.pages)}
    info = reader.metadata
    for key in _PDF_FACTS if info is not None else ():
        value = getattr(info, key, None)
        if value:
            facts[key] = str(value)
    return facts


def _chunk(text: str, document_id: str, document: dict[str, Any]) -> Chunk:
    chunk_id = str(uuid.uuid4())
    return Chunk(
        content=text,
        chunk_id=chunk_id,
        metadata={"document_id": document_id, **document},
        chunk_metadata=ChunkMetadata(
            chunk_id=chunk_id,
            document_id=document_id,
            source=document.get("filename"),
            created_timestamp=int(time.time()),
            content_token_count=count_tokens(text),
        ),
    )
