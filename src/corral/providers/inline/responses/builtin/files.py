"""Files named in input items, turned into what a chat model can read.

An ``input_file`` part (an uploaded ``file_id`` or inline ``file_data``) becomes
a text part holding the file's extracted text (plain text, Markdown, HTML,
PDF); an ``input_image`` given by ``file_id`` becomes a ``data:`` URL. Files are
read through the files API with the caller's identity, so access_policy
applies. A ``file_url`` is fetched through the outbound URL policy (the
connectors router's `fetch_url`: private and metadata addresses refused, each
redirect checked, size and time limits); a refused or failed fetch is a 400
naming the part.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import mimetypes
from typing import Any
from urllib.parse import unquote, urlsplit

from corral.apis.context import RequestContext
from corral.errors import InvalidParameter
from corral.providers.vector_stores.extract import InvalidFile, UnsupportedFile, extract_text


def needs_files(items: list[dict[str, Any]]) -> bool:
    """True when some message part refers to a file."""
    return any(
        isinstance(part, dict) and (part.get("type") == "input_file" or part.get("file_id"))
        for item in items
        if item.get("type") == "message" and isinstance(item.get("content"), list)
        for part in item["content"]
    )


async def inline_files(
    items: list[dict[str, Any]], files: Any, ctx: RequestContext, fetcher: Any = None
) -> list[dict[str, Any]]:
    """A copy of `items` whose file parts carry text (or data URLs) instead of references."""
    out = []
    for index, item in enumerate(items):
        content = item.get("content")
        if item.get("type") != "message" or not isinstance(content, list):
            out.append(item)
            continue
        parts = [await _part(p, files, ctx, f"input[{index}]", fetcher) for p in content]
        out.append({**item, "content": parts})
    return out


async def _part(
    part: dict[str, Any], files: Any, ctx: RequestContext, where: str, fetcher: Any
) -> dict[str, Any]:
    kind = part.get("type")
    if kind == "input_image" and part.get("file_id") and not part.get("image_url"):
        data, filename = await _read(part["file_id"], files, ctx, where)
        mime = mimetypes.guess_type(filename)[0] or "image/png"
        url = f"data:{mime};base64,{base64.b64encode(data).decode()}"
        return {**part, "image_url": url}
    if kind != "input_file":
        return part
    if part.get("file_url"):
        data, filename = await _fetch(str(part["file_url"]), fetcher, f"{where}.content.file_url")
        filename = part.get("filename") or filename
    elif part.get("file_id"):
        data, filename = await _read(part["file_id"], files, ctx, where)
    elif part.get("file_data"):
        data, filename = _decode(part["file_data"], where), part.get("filename") or "file.txt"
    else:
        raise InvalidParameter(f"{where}.content", "input_file needs file_id or file_data")
    try:
        text = await asyncio.to_thread(extract_text, data, filename)
    except (UnsupportedFile, InvalidFile) as exc:
        raise InvalidParameter(f"{where}.content", f"file {filename!r}: {exc}") from None
    return {"type": "input_text", "text": f"[file {filename}]\n{text}"}


async def _read(file_id: str, files: Any, ctx: RequestContext, where: str) -> tuple[bytes, str]:
    if files is None:
        raise InvalidParameter(f"{where}.content", "file_id needs a files provider on this server")
    found = await files.read_file(file_id, ctx)
    return found.data, found.file.filename


async def _fetch(url: str, fetcher: Any, where: str) -> tuple[bytes, str]:
    from corral.core.tools.outbound import FetchFailed, OutboundRefused

    if fetcher is None:
        raise InvalidParameter(where, "this server does not fetch files from URLs")
    try:
        data, _ = await fetcher.fetch_url(url)
    except OutboundRefused as exc:
        raise InvalidParameter(where, f"not fetched: {exc}") from None
    except FetchFailed as exc:
        raise InvalidParameter(where, f"could not fetch the file: {exc}") from None
    name = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return data, unquote(name) or "file.txt"


def _decode(file_data: str, where: str) -> bytes:
    payload = file_data.split(",", 1)[1] if file_data.startswith("data:") else file_data
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidParameter(
            f"{where}.content.file_data", "must be base64 (or a base64 data: URL)"
        ) from None
