"""A batch's output and error files: its stored lines, in input order, as OpenAI's JSONL.

A line answered with 2xx goes to the output file, any other to the error file
(each as ``{"id", "custom_id", "response": {"status_code", "request_id",
"body"}, "error": null}``; lines that never ran because the batch expired carry
``"response": null`` and an ``error``). The files are uploaded through the
Files API as the batch's creator, purpose ``batch_output``; a file with no
lines is not created (its id stays null, as OpenAI does).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from corral.apis.context import RequestContext
from corral.apis.files.api import FilesProvider, UploadInfo, UploadSink
from corral.providers.inline.batches.reference.store import BatchStore

_FLUSH = 1 << 20
RENEW_EVERY = 10_000


class _Output:
    """One output file being written (opened on its first line)."""

    def __init__(self, files: FilesProvider, ctx: RequestContext, name: str) -> None:
        self._files = files
        self._ctx = ctx
        self._name = name
        self._sink: UploadSink | None = None
        self._buffer: list[bytes] = []
        self._size = 0

    async def add(self, line: Any) -> None:
        data = orjson.dumps(line) + b"\n"
        self._buffer.append(data)
        self._size += len(data)
        if self._size >= _FLUSH:
            await self._flush()

    async def _flush(self) -> None:
        if self._sink is None:
            self._sink = await self._files.open_upload(self._ctx)
        data, self._buffer, self._size = b"".join(self._buffer), [], 0
        await self._sink.write(data)

    async def commit(self) -> str | None:
        if self._buffer:
            await self._flush()
        if self._sink is None:
            return None
        found = await self._sink.commit(UploadInfo(self._name, "batch_output"))
        return found.id

    async def abort(self) -> None:
        if self._sink is not None:
            await self._sink.abort()


async def write_outputs(
    store: BatchStore,
    files: FilesProvider,
    row: dict[str, Any],
    ctx: RequestContext,
    keep_lease: Callable[[], Awaitable[None]],
) -> tuple[str | None, str | None]:
    """Write the output and error files of a batch; (output_file_id, error_file_id).

    `keep_lease` is called every `RENEW_EVERY` lines: a large batch's files take
    longer to write than a lease lasts.
    """
    batch_id = row["id"]
    output = _Output(files, ctx, f"{batch_id}_output.jsonl")
    errors = _Output(files, ctx, f"{batch_id}_error.jsonl")
    try:
        count = 0
        async for line in store.lines(batch_id, row.get("last_line") or 0):
            await (output if line["ok"] else errors).add(line["result"])
            count += 1
            if count % RENEW_EVERY == 0:
                await keep_lease()
        return await output.commit(), await errors.commit()
    except BaseException:
        await output.abort()
        await errors.abort()
        raise
