"""Stream a ``multipart/form-data`` upload: the file part goes to a sink as it arrives.

Starlette's form parser spools every file to a temporary file first (and has
no size limit); an upload route wants the bytes to go straight to their final
store and to stop reading the moment a limit is passed. `read_upload` feeds
python-multipart's push parser from the request stream and forwards the one
file part's data to an `UploadSink`; text fields are kept (each capped in size).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from corral.apis.files.api import UploadSink
from corral.errors import InvalidRequest, PayloadTooLarge

MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 32


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)


@dataclass
class Upload:
    """What the form held: its text fields, and the file part's name and sink (if any)."""

    fields: dict[str, str]
    file_field: str | None = None
    filename: str | None = None
    sink: UploadSink | None = None


class _Collector:
    """Sync parser callbacks that record events; the async side acts on them per chunk."""

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.header_name = b""
        self.header_value = b""
        self.events: list[tuple[str, object]] = []

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": lambda: self.events.append(("begin", None)),
            "on_part_data": lambda d, s, e: self.events.append(("data", d[s:e])),
            "on_part_end": lambda: self.events.append(("end", None)),
            "on_header_field": self._field,
            "on_header_value": self._value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done,
        }

    def _field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def _value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def _header_end(self) -> None:
        self.headers.append((self.header_name.lower(), self.header_value))
        self.header_name = self.header_value = b""

    def _headers_done(self) -> None:
        disposition = dict(self.headers).get(b"content-disposition", b"")
        self.headers = []
        _, options = parse_options_header(disposition)
        name = options.get(b"name")
        if name is None:
            raise InvalidRequest("a multipart part has no Content-Disposition name")
        filename = options.get(b"filename")
        part = _Part(
            name.decode("utf-8", "replace"),
            filename.decode("utf-8", "replace") if filename is not None else None,
        )
        self.events.append(("headers", part))


async def read_upload(request: Request, open_sink: Callable[[], Awaitable[UploadSink]]) -> Upload:
    """Parse the form, streaming its single file part into a sink from `open_sink`.

    On any error the sink is aborted before the error propagates.
    """
    _, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if boundary is None:
        raise InvalidRequest("expected a multipart/form-data body with a boundary")
    collector = _Collector()
    parser = MultipartParser(boundary, collector.callbacks())  # type: ignore[arg-type]
    upload = Upload(fields={})
    current = _Part()
    try:
        async for chunk in request.stream():
            try:
                parser.write(chunk)
            except FormParserError:
                raise InvalidRequest("the multipart body is malformed") from None
            current = await _apply(collector, upload, current, open_sink)
        parser.finalize()
    except BaseException:
        if upload.sink is not None:
            await upload.sink.abort()
        raise
    return upload


async def _apply(
    collector: _Collector,
    upload: Upload,
    current: _Part,
    open_sink: Callable[[], Awaitable[UploadSink]],
) -> _Part:
    for kind, value in collector.events:
        if kind == "headers":
            assert isinstance(value, _Part)
            current = value
            if current.filename is not None:
                if upload.sink is not None:
                    raise InvalidRequest("send one file per upload", code="too_many_files")
                upload.file_field, upload.filename = current.name, current.filename
                upload.sink = await open_sink()
            elif len(upload.fields) >= MAX_FIELDS:
                raise InvalidRequest("too many form fields")
        elif kind == "data":
            assert isinstance(value, bytes)
            if current.filename is not None:
                assert upload.sink is not None
                await upload.sink.write(value)
            else:
                current.data += value
                if len(current.data) > MAX_FIELD_BYTES:
                    raise PayloadTooLarge(f"form field {current.name!r} is too large")
        elif kind == "end" and current.filename is None and current.name:
            upload.fields[current.name] = current.data.decode("utf-8", "replace")
    collector.events.clear()
    return current
