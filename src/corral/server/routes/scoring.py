"""``/v1/scoring-functions`` and ``/v1/scoring``: functions, and scoring rows or a dataset."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from corral.apis.scoring.models import (
    RegisterScoringFunctionRequest,
    ScoreBatchRequest,
    ScoreBatchResponse,
    ScoreRequest,
    ScoreResponse,
    ScoringFn,
    ScoringFnList,
    ScoringFnParams,
)
from corral.apis.spec import Api
from corral.core.routers.scoring import SCORING, ScoringRouter, function_object
from corral.core.stack import Stack
from corral.errors import InvalidParameter
from corral.server.context import request_context
from corral.server.http import ApiRoute, json_response, parse_model, read_json

ONE = "/v1/scoring-functions/{scoring_fn_id:path}"


def _params(functions: dict[str, ScoringFnParams | None]) -> dict[str, dict[str, Any] | None]:
    return {k: v.model_dump(exclude_unset=True) | {"type": v.type} if v else None
            for k, v in functions.items()}  # fmt: skip


def routes(stack: Stack) -> list[ApiRoute]:
    """The scoring routes (only when a scoring provider is configured)."""
    if not stack.serves(Api.scoring):
        return []
    limit = stack.run.server.max_request_body_bytes

    def router() -> ScoringRouter:
        return stack.routers.require(SCORING)

    async def list_all(request: Request) -> Response:
        user = request_context(request).user
        return json_response(ScoringFnList(data=router().functions(user)))

    async def register(request: Request) -> Response:
        body = parse_model(await read_json(request, limit), RegisterScoringFunctionRequest)
        return json_response(await router().register(body, request_context(request).user))

    async def get(request: Request) -> Response:
        res = router().resolve(request.path_params["scoring_fn_id"], request_context(request).user)
        return json_response(function_object(res))

    async def delete(request: Request) -> Response:
        fn_id = request.path_params["scoring_fn_id"]
        await router().unregister(fn_id, request_context(request).user)
        return Response(status_code=204)

    async def score(request: Request) -> Response:
        body = parse_model(await read_json(request, limit), ScoreRequest)
        ctx = request_context(request)
        return json_response(
            await router().score(body.input_rows, _params(body.scoring_functions), ctx)
        )

    async def score_batch(request: Request) -> Response:
        body = parse_model(await read_json(request, limit), ScoreBatchRequest)
        if body.save_results_dataset:
            raise InvalidParameter("save_results_dataset", "saving results is not supported")
        ctx = request_context(request)
        result = await router().score_batch(body.dataset_id, _params(body.scoring_functions), ctx)
        return json_response(result)

    tag = "scoring"
    return [
        ApiRoute("GET", "/v1/scoring-functions", list_all, "List scoring functions", tag, None,
                 ScoringFnList),
        ApiRoute("POST", "/v1/scoring-functions", register, "Register a scoring function", tag,
                 RegisterScoringFunctionRequest, ScoringFn),
        ApiRoute("GET", ONE, get, "Get a scoring function", tag, None, ScoringFn),
        ApiRoute("DELETE", ONE, delete, "Unregister a scoring function", tag),
        ApiRoute("POST", "/v1/scoring/score", score, "Score rows", tag, ScoreRequest,
                 ScoreResponse),
        ApiRoute("POST", "/v1/scoring/score-batch", score_batch, "Score a dataset's rows", tag,
                 ScoreBatchRequest, ScoreBatchResponse),
    ]  # fmt: skip
