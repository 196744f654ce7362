"""Wire types of ``/v1beta/datasets`` and ``/v1beta/datasetio`` (Llama Stack's shapes)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

DatasetPurpose = Literal["eval/question-answer", "eval/messages-answer", "post-training/messages"]


class URIDataSource(BaseModel):
    """Rows read from a URI: a Files API file, a local path, or a ``data:`` URI."""

    type: Literal["uri"] = "uri"
    uri: str = Field(
        description="`file-...` or `files://<file_id>` (a Files API file), `file:///abs/path` or "
        "an absolute path (under the provider's `allowed_paths`), or `data:<mime>;base64,...`; "
        "the format comes from the file name (.csv, .jsonl, .json, .parquet) or the MIME type."
    )


class RowsDataSource(BaseModel):
    """Rows given inline."""

    type: Literal["rows"] = "rows"
    rows: list[dict[str, Any]]


DataSource = Annotated[URIDataSource | RowsDataSource, Field(discriminator="type")]


class RegisterDatasetRequest(BaseModel):
    """``POST /v1beta/datasets``."""

    purpose: DatasetPurpose
    source: DataSource
    metadata: dict[str, Any] | None = None
    dataset_id: str | None = Field(None, pattern=r"^[A-Za-z0-9_.:\-/]{1,200}$")
    provider_id: str | None = None


class Dataset(BaseModel):
    """A registered dataset."""

    identifier: str
    provider_resource_id: str | None = None
    provider_id: str
    type: Literal["dataset"] = "dataset"
    owner: dict[str, Any] | None = None
    purpose: str
    source: dict[str, Any]
    metadata: dict[str, Any] = Field(default_factory=dict)


class DatasetList(BaseModel):
    """``GET /v1beta/datasets``."""

    data: list[Dataset]


class AppendRowsRequest(BaseModel):
    """``POST /v1beta/datasetio/append-rows/{dataset_id}``."""

    rows: list[dict[str, Any]]


class RowsPage(BaseModel):
    """``GET /v1beta/datasetio/iterrows/{dataset_id}``: Llama Stack's PaginatedResponse."""

    data: list[dict[str, Any]]
    has_more: bool
    url: str | None = None
