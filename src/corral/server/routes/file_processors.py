"""``POST /v1alpha/file-processors/process``: a file (upload or ``file_id``) in, chunks out.

The multipart form streams into memory up to the processor's size limit
(``max_file_size_bytes``, 100 MiB by default): a larger ``Content-Length`` is a
413 before a byte is read, and a chunked body stops at the limit. ``options``
and ``chunking_strategy`` are JSON strings, as Llama Stack's client sends them.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from corral.apis.file_processors.api import FileInput
from corral.apis.file_processors.models import ProcessFileForm, ProcessFileResponse
from corral.apis.files.api import UploadInfo
from corral.apis.files.models import OpenAIFileObject
from corral.apis.spec import Api
from corral.apis.vector_io.models import (
    ChunkingStrategy,
    ChunkingStrategyStatic,
    StaticChunking,
)
from corral.core.routers.file_processors import FILE_PROCESSORS
from corral.core.stack import Stack
from corral.errors import InvalidParameter, InvalidRequest, PayloadTooLarge
from corral.server.context import request_context
from corral.server.http import ApiRoute, json_response
from corral.server.multipart import read_upload

PATH = "/v1alpha/file-processors/process"
FORM_OVERHEAD = 64 * 1024
_STRATEGY: TypeAdapter[Any] = TypeAdapter(ChunkingStrategy)


class MemorySink:
    """Collects one upload in memory, refusing bytes past `limit`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()

    async def write(self, chunk: bytes) -> None:
        """Append, or 413 past the limit."""
        if len(self.data) + len(chunk) > self.limit:
            raise PayloadTooLarge(
                f"file is larger than the {self.limit} bytes this server processes",
                code="file_too_large",
            )
        self.data += chunk

    async def commit(self, info: UploadInfo) -> OpenAIFileObject:
        """Not used: the bytes are processed, never stored."""
        raise NotImplementedError

    async def abort(self) -> None:
        """Drop what was read."""
        self.data.clear()


def _json_field(fields: dict[str, str], name: str) -> Any:
    raw = fields.get(name)
    if raw is None or raw == "":
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidParameter(name, "must be a JSON object") from None


def _chunking(fields: dict[str, str]) -> StaticChunking | None:
    data = _json_field(fields, "chunking_strategy")
    if data is None:
        return None
    if not isinstance(data, dict):
        raise InvalidParameter("chunking_strategy", "must be a JSON object")
    try:
        strategy = _STRATEGY.validate_python(data)
    except ValidationError as exc:
        raise InvalidParameter("chunking_strategy", exc.errors()[0]["msg"]) from None
    if isinstance(strategy, ChunkingStrategyStatic):
        return strategy.static
    if strategy.type == "contextual":
        raise InvalidParameter("chunking_strategy.type", "use 'auto' or 'static' here")
    return None


def routes(stack: Stack) -> list[ApiRoute]:
    """The file processing route (only when a file_processors provider is configured)."""
    if not stack.serves(Api.file_processors):
        return []

    async def process(request: Request) -> Response:
        processor = stack.routers.require(FILE_PROCESSORS)
        limit = processor.max_file_size
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit + FORM_OVERHEAD:
            raise PayloadTooLarge(
                f"file is larger than the {limit} bytes this server processes",
                code="file_too_large",
            )
        sink = MemorySink(limit)

        async def open_sink() -> MemorySink:
            return sink

        form = await read_upload(request, open_sink)
        file_id = form.fields.get("file_id") or None
        if (form.sink is None) == (file_id is None):
            raise InvalidRequest("give exactly one of file and file_id")
        options = _json_field(form.fields, "options") or {}
        if not isinstance(options, dict):
            raise InvalidParameter("options", "must be a JSON object")
        source = (
            FileInput(file_id=file_id)
            if file_id
            else FileInput(data=bytes(sink.data), filename=form.filename)
        )
        result = await processor.process_file(
            source, _chunking(form.fields), options, request_context(request)
        )
        return json_response(result)

    return [
        ApiRoute(
            "POST",
            PATH,
            process,
            "Process a file into chunks (multipart/form-data: file or file_id)",
            "file_processors",
            ProcessFileForm,
            ProcessFileResponse,
            request_media_type="multipart/form-data",
        )
    ]
