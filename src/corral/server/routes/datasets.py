"""``/v1beta/datasets`` and ``/v1beta/datasetio``: datasets, their rows, appending rows.

Paths are Llama Stack 0.7's (datasets moved to ``/v1beta``); each is also
served under ``/v1``, where older llama-stack-client releases call them.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from corral.apis.datasets.models import (
    AppendRowsRequest,
    Dataset,
    DatasetList,
    RegisterDatasetRequest,
    RowsPage,
)
from corral.apis.spec import Api
from corral.core.routers.datasetio import DATASETIO, DatasetIORouter
from corral.core.stack import Stack
from corral.errors import InvalidParameter
from corral.server.context import request_context
from corral.server.http import ApiRoute, json_response, parse_model, read_json

ONE = "/v1beta/datasets/{dataset_id:path}"


def _optional_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidParameter(name, "must be an integer") from None


def _v1(path: str) -> tuple[str, ...]:
    return ("/v1" + path.removeprefix("/v1beta"),)


def routes(stack: Stack) -> list[ApiRoute]:
    """The datasets and datasetio routes (only when a datasetio provider is configured)."""
    if not stack.serves(Api.datasetio):
        return []
    limit = stack.run.server.max_request_body_bytes

    def router() -> DatasetIORouter:
        return stack.routers.require(DATASETIO)

    async def register(request: Request) -> Response:
        body = parse_model(await read_json(request, limit), RegisterDatasetRequest)
        return json_response(await router().register(body, request_context(request)))

    async def list_all(request: Request) -> Response:
        return json_response(DatasetList(data=router().datasets(request_context(request).user)))

    async def get(request: Request) -> Response:
        user = request_context(request).user
        return json_response(router().get(request.path_params["dataset_id"], user))

    async def delete(request: Request) -> Response:
        user = request_context(request).user
        await router().unregister(request.path_params["dataset_id"], user)
        return Response(status_code=204)

    async def iterrows(request: Request) -> Response:
        rows, more = await router().iterrows(
            request.path_params["dataset_id"],
            _optional_int(request, "start_index"),
            _optional_int(request, "limit"),
            request_context(request),
        )
        return json_response(RowsPage(data=rows, has_more=more))

    async def append(request: Request) -> Response:
        body = parse_model(await read_json(request, limit), AppendRowsRequest)
        await router().append_rows(
            request.path_params["dataset_id"], body.rows, request_context(request)
        )
        return Response(status_code=204)

    rows_path = "/v1beta/datasetio/iterrows/{dataset_id:path}"
    append_path = "/v1beta/datasetio/append-rows/{dataset_id:path}"
    tag = "datasets"
    return [
        ApiRoute("POST", "/v1beta/datasets", register, "Register a dataset", tag,
                 RegisterDatasetRequest, Dataset, aliases=_v1("/v1beta/datasets")),
        ApiRoute("GET", "/v1beta/datasets", list_all, "List datasets", tag, None, DatasetList,
                 aliases=_v1("/v1beta/datasets")),
        ApiRoute("GET", ONE, get, "Get a dataset", tag, None, Dataset, aliases=_v1(ONE)),
        ApiRoute("DELETE", ONE, delete, "Unregister a dataset", tag, aliases=_v1(ONE)),
        ApiRoute("GET", rows_path, iterrows, "Get a page of a dataset's rows", "datasetio",
                 None, RowsPage, aliases=_v1(rows_path)),
        ApiRoute("POST", append_path, append, "Append rows to a dataset", "datasetio",
                 AppendRowsRequest, aliases=_v1(append_path)),
    ]  # fmt: skip
