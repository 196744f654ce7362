"""Wire types of ``/v1alpha/eval/benchmarks`` and the eval jobs (Llama Stack's shapes)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from corral.apis.scoring.models import ScoringFnParams, ScoringResult


class RegisterBenchmarkRequest(BaseModel):
    """``POST /v1alpha/eval/benchmarks``."""

    benchmark_id: str = Field(pattern=r"^[A-Za-z0-9_.:\-/]{1,200}$")
    dataset_id: str
    scoring_functions: list[str] = Field(min_length=1)
    provider_benchmark_id: str | None = None
    provider_id: str | None = None
    metadata: dict[str, Any] | None = None


class Benchmark(BaseModel):
    """A registered benchmark: a dataset and the functions that score answers to it."""

    identifier: str
    provider_resource_id: str | None = None
    provider_id: str
    type: Literal["benchmark"] = "benchmark"
    dataset_id: str
    scoring_functions: list[str]
    metadata: dict[str, Any] = Field(default_factory=dict)


class BenchmarkList(BaseModel):
    """``GET /v1alpha/eval/benchmarks``."""

    data: list[Benchmark]


class SamplingParams(BaseModel):
    """How the candidate generates (Llama Stack's sampling params)."""

    strategy: dict[str, Any] = Field(default_factory=lambda: {"type": "greedy"})
    max_tokens: int | None = Field(None, ge=1)
    repetition_penalty: float | None = None
    stop: list[str] | None = None


class ModelCandidate(BaseModel):
    """Answers come from a model, one chat completion per row."""

    type: Literal["model"] = "model"
    model: str = Field(min_length=1)
    sampling_params: SamplingParams = Field(default_factory=SamplingParams)
    system_message: dict[str, Any] | None = None


class AgentCandidate(BaseModel):
    """Answers come from the Responses API's agent loop (tools run server-side)."""

    type: Literal["agent"] = "agent"
    config: dict[str, Any] = Field(
        description="`model` (required), `instructions`, `tools` and `max_infer_iters`, as a "
        "Responses API request takes them."
    )


EvalCandidate = Annotated[ModelCandidate | AgentCandidate, Field(discriminator="type")]


class BenchmarkConfig(BaseModel):
    """What to run and how to score it."""

    eval_candidate: EvalCandidate
    scoring_params: dict[str, ScoringFnParams] = Field(default_factory=dict)
    num_examples: int | None = Field(None, ge=1)


class RunEvalRequest(BaseModel):
    """``POST /v1alpha/eval/benchmarks/{benchmark_id}/jobs``."""

    benchmark_config: BenchmarkConfig


class EvaluateRowsRequest(BaseModel):
    """``POST /v1alpha/eval/benchmarks/{benchmark_id}/evaluations``."""

    input_rows: list[dict[str, Any]] = Field(min_length=1)
    scoring_functions: list[str] = Field(min_length=1)
    benchmark_config: BenchmarkConfig


JobStatus = Literal["scheduled", "in_progress", "completed", "failed", "cancelled"]


class Job(BaseModel):
    """An eval job: its id and status (corral adds progress and the error, if any)."""

    job_id: str
    status: JobStatus
    benchmark_id: str | None = None
    rows_total: int | None = None
    rows_done: int | None = None
    error: str | None = None


class EvaluateResponse(BaseModel):
    """What a candidate answered, row by row, and the scores."""

    generations: list[dict[str, Any]]
    scores: dict[str, ScoringResult]
