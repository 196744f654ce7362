"""``/v1/files``: upload (streamed multipart), list, get, content and delete.

The upload is checked against the files provider's size limit twice: up front
from ``Content-Length`` (413 before a byte is read), and while streaming (for
chunked bodies or a lying header), where the sink stops at the limit.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from corral.apis.files.api import FilesProvider, UploadInfo, UploadSink
from corral.apis.files.models import (
    PURPOSES,
    FileDeleted,
    FileList,
    FileUploadForm,
    OpenAIFileObject,
)
from corral.apis.spec import Api
from corral.core.routers.files import FILES
from corral.core.stack import Stack
from corral.errors import InvalidParameter, PayloadTooLarge
from corral.server.context import request_context
from corral.server.http import ApiRoute, json_response
from corral.server.multipart import Upload, read_upload

OPENAI_ALIAS = "/v1/openai/v1"
#: Room for the form's boundaries, headers and text fields around the file.
FORM_OVERHEAD = 64 * 1024
MIN_EXPIRY, MAX_EXPIRY = 3600, 2592000


def _expiry(fields: dict[str, str]) -> int | None:
    anchor = fields.get("expires_after[anchor]")
    seconds = fields.get("expires_after[seconds]")
    if anchor is None and seconds is None:
        return None
    if anchor != "created_at":
        raise InvalidParameter("expires_after.anchor", "must be 'created_at'")
    if seconds is None or not seconds.isdigit() or not MIN_EXPIRY <= int(seconds) <= MAX_EXPIRY:
        raise InvalidParameter(
            "expires_after.seconds", f"an integer between {MIN_EXPIRY} and {MAX_EXPIRY} is required"
        )
    return int(seconds)


def _upload_info(upload: Upload) -> UploadInfo:
    if upload.sink is None or upload.file_field != "file":
        raise InvalidParameter("file", "a file part named 'file' is required")
    purpose = upload.fields.get("purpose")
    if purpose not in PURPOSES:
        raise InvalidParameter("purpose", f"must be one of: {', '.join(PURPOSES)}")
    return UploadInfo(upload.filename or "upload", purpose, _expiry(upload.fields))


def _check_length(request: Request, limit: int) -> None:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit + FORM_OVERHEAD:
        raise PayloadTooLarge(
            f"file is larger than the {limit} bytes this server accepts", code="file_too_large"
        )


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidParameter(name, "must be an integer") from None


def routes(stack: Stack) -> list[ApiRoute]:
    """The files routes (only when a files provider is configured)."""
    if not stack.serves(Api.files):
        return []

    def files() -> FilesProvider:
        return stack.routers.require(FILES)

    async def upload(request: Request) -> Response:
        provider = files()
        ctx = request_context(request)
        _check_length(request, provider.max_file_size)

        async def open_sink() -> UploadSink:
            return await provider.open_upload(ctx)

        form = await read_upload(request, open_sink)
        try:
            info = _upload_info(form)
        except BaseException:
            if form.sink is not None:
                await form.sink.abort()
            raise
        assert form.sink is not None
        return json_response(await form.sink.commit(info))

    async def list_files(request: Request) -> Response:
        q = request.query_params
        page = await files().list_files(
            request_context(request),
            after=q.get("after"),
            limit=_int_param(request, "limit", 10000),
            order=q.get("order", "desc"),
            purpose=q.get("purpose"),
        )
        return json_response(page)

    async def get_file(request: Request) -> Response:
        found = await files().get_file(request.path_params["file_id"], request_context(request))
        return json_response(found)

    async def content(request: Request) -> Response:
        found = await files().read_file(request.path_params["file_id"], request_context(request))
        return Response(found.data, media_type="application/octet-stream")

    async def delete(request: Request) -> Response:
        done = await files().delete_file(request.path_params["file_id"], request_context(request))
        return json_response(done)

    def alias(path: str) -> tuple[str, ...]:
        return (OPENAI_ALIAS + path.removeprefix("/v1"),)

    one = "/v1/files/{file_id}"
    return [
        ApiRoute(
            "POST",
            "/v1/files",
            upload,
            "Upload a file (multipart/form-data: file, purpose)",
            "files",
            FileUploadForm,
            OpenAIFileObject,
            aliases=alias("/v1/files"),
            request_media_type="multipart/form-data",
        ),
        ApiRoute(
            "GET",
            "/v1/files",
            list_files,
            "List files",
            "files",
            None,
            FileList,
            aliases=alias("/v1/files"),
        ),
        ApiRoute(
            "GET", one, get_file, "Get a file", "files", None, OpenAIFileObject, aliases=alias(one)
        ),
        ApiRoute(
            "GET",
            one + "/content",
            content,
            "Get a file's content",
            "files",
            aliases=alias(one + "/content"),
        ),
        ApiRoute(
            "DELETE", one, delete, "Delete a file", "files", None, FileDeleted, aliases=alias(one)
        ),
    ]
