"""Wire types of ``/v1/files`` (the OpenAI shapes)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

FilePurpose = Literal["assistants", "batch", "fine-tune", "vision", "user_data", "evals"]

#: Every purpose the OpenAI API accepts, in the order it documents them.
PURPOSES: tuple[str, ...] = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")


class OpenAIFileObject(BaseModel):
    """An uploaded file."""

    id: str
    object: Literal["file"] = "file"
    bytes: int
    created_at: int
    expires_at: int | None = None
    filename: str
    purpose: str


class FileList(BaseModel):
    """``GET /v1/files``: one page of files."""

    object: Literal["list"] = "list"
    data: list[OpenAIFileObject]
    has_more: bool
    first_id: str | None = None
    last_id: str | None = None


class FileDeleted(BaseModel):
    """``DELETE /v1/files/{file_id}``."""

    id: str
    object: Literal["file"] = "file"
    deleted: bool


class FileUploadForm(BaseModel):
    """``POST /v1/files`` (multipart/form-data): the parts the route reads.

    ``file`` is the file part; ``expires_after[anchor]`` (``created_at``) and
    ``expires_after[seconds]`` (3600-2592000) optionally set an expiry.
    """

    file: str
    purpose: FilePurpose
