"""Rows of CSV, JSONL and Parquet sources, read as a stream (never a whole file in memory).

CSV: the first record is the header; values stay strings (no type guessing:
``"1"`` is not ``1``); a record may span lines inside quotes. JSONL: one JSON
object per line (a ``.json`` file holding one array is read whole). Parquet:
pyarrow (the ``datasets`` extra, imported on first use) reads record batches
from a file on disk; a Files API or ``data:`` Parquet source is first copied to
a temporary file, since Parquet keeps its index at the end of the file.
"""

from __future__ import annotations

import asyncio
import csv
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson

from corral.apis.context import RequestContext
from corral.apis.files.api import FilesProvider
from corral.apis.spec import ProviderStartupError
from corral.errors import InvalidRequest
from corral.providers.datasets.sources import Located, chunks

PARQUET_BATCH = 1024


async def _lines(source: AsyncIterator[bytes]) -> AsyncIterator[str]:
    rest = b""
    async for chunk in source:
        parts = (rest + chunk).split(b"\n")
        rest = parts.pop()
        for part in parts:
            yield part.decode("utf-8") + "\n"
    if rest:
        yield rest.decode("utf-8") + "\n"


async def jsonl_rows(source: AsyncIterator[bytes]) -> AsyncIterator[dict[str, Any]]:
    """Objects, one per non-blank line (or the items of one JSON array)."""
    first = True
    lines = _lines(source)
    async for line in lines:
        text = line.strip().lstrip("\ufeff") if first else line.strip()
        if first and text.startswith("["):
            rest = [text] + [more async for more in lines]
            for item in orjson.loads("".join(rest)):
                yield item if isinstance(item, dict) else {"value": item}
            return
        first = False
        if not text:
            continue
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise InvalidRequest(f"dataset line is not JSON: {text[:80]!r}") from None
        yield value if isinstance(value, dict) else {"value": value}


def ends_inside_quotes(record: str) -> bool:
    """True when `record` (the lines of one CSV record so far) ends inside a quoted field.

    A quote opens a field only at the field's start (``5" screen`` is a value
    with a quote in it, as Python's csv module reads it); inside a quoted field
    ``""`` is an escaped quote and a lone ``"`` closes it.
    """
    inside, field_start, i = False, True, 0
    while i < len(record):
        ch = record[i]
        if inside:
            if ch == '"':
                if record[i + 1 : i + 2] == '"':
                    i += 1
                else:
                    inside = False
        elif ch == '"' and field_start:
            inside = True
        field_start = not inside and ch in ",\r\n"
        i += 1
    return inside


async def csv_rows(source: AsyncIterator[bytes]) -> AsyncIterator[dict[str, Any]]:
    """Records as dicts keyed by the header; a quoted field may hold newlines."""
    header: list[str] | None = None
    pending = ""
    async for line in _lines(source):
        pending += line
        if ends_inside_quotes(pending):  # a quoted field holds a newline: the record goes on
            continue
        record, pending = pending, ""
        if not record.strip():
            continue
        (values,) = list(csv.reader([record.lstrip("\ufeff")]))
        if header is None:
            header = values
            continue
        yield dict(zip(header, values, strict=False))


async def parquet_rows(
    place: Located, files: FilesProvider | None, ctx: RequestContext
) -> AsyncIterator[dict[str, Any]]:
    """Rows of a Parquet file, a record batch at a time."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ProviderStartupError(
            "Parquet datasets need pyarrow: pip install 'corral[datasets]'"
        ) from None
    path, temporary = place.where, None
    if place.kind != "path":
        temporary = await _copy_to_disk(place, files, ctx)
        path = temporary
    try:
        batches: Iterator[Any] = iter(pq.ParquetFile(path).iter_batches(PARQUET_BATCH))
        while True:
            batch = await asyncio.to_thread(next, batches, None)
            if batch is None:
                return
            for row in batch.to_pylist():
                yield row
    finally:
        if temporary is not None:
            await asyncio.to_thread(os.unlink, temporary)


async def _copy_to_disk(place: Located, files: FilesProvider | None, ctx: RequestContext) -> str:
    fd, path = tempfile.mkstemp(suffix=".parquet", prefix="corral-dataset-")
    with os.fdopen(fd, "wb") as fh:
        async for chunk in chunks(place, files, ctx):
            await asyncio.to_thread(fh.write, chunk)
    return path


def rows_of(
    place: Located, files: FilesProvider | None, ctx: RequestContext
) -> AsyncIterator[dict[str, Any]]:
    """Every row of the source, in order."""
    if place.format == "parquet":
        return parquet_rows(place, files, ctx)
    if place.format == "csv":
        return csv_rows(chunks(place, files, ctx))
    return jsonl_rows(chunks(place, files, ctx))
