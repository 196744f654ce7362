"""Where a dataset's rows come from, as a stream of bytes and a format.

A ``uri`` source is one of: a Files API file (``file-...`` or
``files://<id>``), a local file (``file:///abs/path`` or ``/abs/path``, only
under the provider's ``allowed_paths``, so a client cannot read the server's
own files), or a ``data:<mime>;base64,...`` URI. Remote URLs are refused: the
server does not fetch datasets from the network (a Hugging Face dataset is
used by downloading its files and registering them as local files or uploads).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from corral.apis.context import RequestContext
from corral.apis.files.api import FilesProvider
from corral.errors import InvalidParameter

CHUNK = 1 << 20
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet"}
MIME_FORMATS = {
    "text/csv": "csv",
    "csv": "csv",
    "application/jsonl": "jsonl",
    "application/x-ndjson": "jsonl",
    "application/json": "jsonl",
    "jsonl": "jsonl",
    "application/vnd.apache.parquet": "parquet",
    "application/x-parquet": "parquet",
    "parquet": "parquet",
}


@dataclass(frozen=True)
class Located:
    """A source resolved to one kind of place, and its format."""

    kind: str  # "file" (Files API), "path" (local) or "data"
    where: str  # file id, absolute path, or the base64 payload
    format: str


def _format_of(name: str, param: str = "source.uri") -> str:
    found = FORMATS.get(Path(name).suffix.lower())
    if found is None:
        raise InvalidParameter(
            param, f"cannot tell the format of {name!r}: name it .csv, .jsonl, .json or .parquet"
        )
    return found


async def locate(
    uri: str, files: FilesProvider | None, allowed: list[Path], ctx: RequestContext
) -> Located:
    """Resolve a ``uri`` source, checking that it exists and may be read."""
    if uri.startswith("data:"):
        head, _, payload = uri[5:].partition(",")
        mime = head.split(";")[0].strip().lower()
        if ";base64" not in head or mime not in MIME_FORMATS:
            raise InvalidParameter(
                "source.uri", "a data: URI must be base64 with a csv, jsonl or parquet MIME type"
            )
        return Located("data", payload, MIME_FORMATS[mime])
    if uri.startswith(("files://", "file-")):
        file_id = uri.removeprefix("files://")
        if files is None:
            raise InvalidParameter("source.uri", "this server has no Files API")
        found = await files.get_file(file_id, ctx)  # 404 when the caller may not read it
        return Located("file", file_id, _format_of(found.filename))
    if uri.startswith(("http://", "https://", "hf://", "huggingface://")):
        raise InvalidParameter(
            "source.uri",
            "remote datasets are not fetched; download the file and register it as an upload "
            "(files://<id>) or a local path",
        )
    path = Path(unquote(urlparse(uri).path) if uri.startswith("file://") else uri)
    if not path.is_absolute():
        raise InvalidParameter("source.uri", "a local path must be absolute")
    resolved = await asyncio.to_thread(path.resolve)
    if not any(resolved.is_relative_to(root) for root in allowed):
        raise InvalidParameter(
            "source.uri",
            "local paths must be under the datasetio provider's allowed_paths "
            f"({', '.join(map(str, allowed)) or 'none configured'})",
        )
    if not await asyncio.to_thread(resolved.is_file):
        raise InvalidParameter("source.uri", f"no file at {path}")
    return Located("path", str(resolved), _format_of(resolved.name))


async def chunks(
    place: Located, files: FilesProvider | None, ctx: RequestContext
) -> AsyncIterator[bytes]:
    """The source's bytes, in chunks."""
    if place.kind == "data":
        yield base64.b64decode(place.where)
    elif place.kind == "file":
        assert files is not None
        async for chunk in files.iter_content(place.where, ctx, CHUNK):
            yield chunk
    else:
        fh = await asyncio.to_thread(open, place.where, "rb")
        try:
            while data := await asyncio.to_thread(fh.read, CHUNK):
                yield data
        finally:
            await asyncio.to_thread(fh.close)
