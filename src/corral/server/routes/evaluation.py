"""``/v1alpha/eval``: benchmarks, eval jobs (start, status, cancel, result) and row evaluations.

Paths are Llama Stack 0.7's; each is also served under ``/v1``, where older
llama-stack-client releases call them.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from corral.apis.context import RequestContext
from corral.apis.eval.api import EvalProvider
from corral.apis.eval.models import (
    Benchmark,
    BenchmarkList,
    EvaluateResponse,
    EvaluateRowsRequest,
    Job,
    RegisterBenchmarkRequest,
    RunEvalRequest,
)
from corral.apis.spec import Api
from corral.core.routers.eval import EVAL, EvalRouter, benchmark_object
from corral.core.stack import Stack
from corral.server.context import request_context
from corral.server.http import ApiRoute, Endpoint, json_response, parse_model, read_json

BASE = "/v1alpha/eval/benchmarks"
ONE = BASE + "/{benchmark_id}"
JOB = ONE + "/jobs/{job_id}"


def _route(
    method: str,
    path: str,
    handler: Endpoint,
    summary: str,
    body: type | None = None,
    answer: type | None = None,
) -> ApiRoute:
    alias = "/v1" + path.removeprefix("/v1alpha")
    return ApiRoute(method, path, handler, summary, "eval", body, answer, aliases=(alias,))


def routes(stack: Stack) -> list[ApiRoute]:
    """The eval routes (only when an eval provider is configured)."""
    if not stack.serves(Api.eval):
        return []

    def router() -> EvalRouter:
        return stack.routers.require(EVAL)

    limit = stack.run.server.max_request_body_bytes
    return [*_benchmark_routes(router, limit), *_job_routes(router, limit)]


def _benchmark_routes(router: Callable[[], EvalRouter], limit: int) -> list[ApiRoute]:
    async def list_all(request: Request) -> Response:
        user = request_context(request).user
        return json_response(BenchmarkList(data=router().benchmarks(user)))

    async def register(request: Request) -> Response:
        body = parse_model(await read_json(request, limit), RegisterBenchmarkRequest)
        return json_response(await router().register(body, request_context(request).user))

    async def get(request: Request) -> Response:
        res = router().resolve(request.path_params["benchmark_id"], request_context(request).user)
        return json_response(benchmark_object(res))

    async def delete(request: Request) -> Response:
        user = request_context(request).user
        await router().unregister(request.path_params["benchmark_id"], user)
        return Response(status_code=204)

    async def evaluate(request: Request) -> Response:
        body = parse_model(await read_json(request, limit), EvaluateRowsRequest)
        result = await router().evaluate_rows(
            request.path_params["benchmark_id"],
            body.input_rows,
            body.scoring_functions,
            body.benchmark_config,
            request_context(request),
        )
        return json_response(result)

    return [
        _route("GET", BASE, list_all, "List benchmarks", None, BenchmarkList),
        _route("POST", BASE, register, "Register a benchmark", RegisterBenchmarkRequest, Benchmark),
        _route("GET", ONE, get, "Get a benchmark", None, Benchmark),
        _route("DELETE", ONE, delete, "Unregister a benchmark"),
        _route(
            "POST",
            ONE + "/evaluations",
            evaluate,
            "Evaluate rows now",
            EvaluateRowsRequest,
            EvaluateResponse,
        ),  # fmt: skip
    ]


def _job_routes(router: Callable[[], EvalRouter], limit: int) -> list[ApiRoute]:
    async def run(request: Request) -> Response:
        body = parse_model(await read_json(request, limit), RunEvalRequest)
        job = await router().run_eval(
            request.path_params["benchmark_id"], body.benchmark_config, request_context(request)
        )
        return json_response(job)

    def provider(request: Request) -> tuple[EvalProvider, str, str, RequestContext]:
        ctx = request_context(request)
        benchmark_id, job_id = request.path_params["benchmark_id"], request.path_params["job_id"]
        return router().job_provider(benchmark_id, ctx.user), benchmark_id, job_id, ctx

    async def status(request: Request) -> Response:
        found, benchmark_id, job_id, ctx = provider(request)
        return json_response(await found.job_status(benchmark_id, job_id, ctx))

    async def cancel(request: Request) -> Response:
        found, benchmark_id, job_id, ctx = provider(request)
        return json_response(await found.job_cancel(benchmark_id, job_id, ctx))

    async def result(request: Request) -> Response:
        found, benchmark_id, job_id, ctx = provider(request)
        return json_response(await found.job_result(benchmark_id, job_id, ctx))

    return [
        _route("POST", ONE + "/jobs", run, "Start an eval job", RunEvalRequest, Job),
        _route("GET", JOB, status, "An eval job's status", None, Job),
        _route("DELETE", JOB, cancel, "Cancel an eval job", None, Job),
        _route("GET", JOB + "/result", result, "An eval job's result", None, EvaluateResponse),
    ]
