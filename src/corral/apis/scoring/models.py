"""Wire types of ``/v1/scoring-functions`` and ``/v1/scoring`` (Llama Stack's shapes)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

Aggregation = Literal["average", "weighted_average", "median", "categorical_count", "accuracy"]


class LLMAsJudgeParams(BaseModel):
    """A judge model scores each row (see docs/evaluation.md for the prompt and the parsing)."""

    type: Literal["llm_as_judge"] = "llm_as_judge"
    judge_model: str
    prompt_template: str | None = None
    judge_score_regexes: list[str] = Field(default_factory=list)
    aggregation_functions: list[Aggregation] = Field(default_factory=list)


class RegexParserParams(BaseModel):
    """The answer is the first group of the first regex that matches the generated answer."""

    type: Literal["regex_parser"] = "regex_parser"
    parsing_regexes: list[str] = Field(default_factory=list)
    aggregation_functions: list[Aggregation] = Field(default_factory=list)


class BasicParams(BaseModel):
    """Only how the row scores are aggregated."""

    type: Literal["basic"] = "basic"
    aggregation_functions: list[Aggregation] = Field(default_factory=list)


ScoringFnParams = Annotated[
    LLMAsJudgeParams | RegexParserParams | BasicParams, Field(discriminator="type")
]


class RegisterScoringFunctionRequest(BaseModel):
    """``POST /v1/scoring-functions``."""

    scoring_fn_id: str = Field(pattern=r"^[A-Za-z0-9_.:\-/]{1,200}$")
    description: str
    return_type: dict[str, Any] = Field(default_factory=lambda: {"type": "number"})
    provider_scoring_fn_id: str | None = None
    provider_id: str | None = None
    params: ScoringFnParams | None = None


class ScoringFn(BaseModel):
    """A scoring function."""

    identifier: str
    provider_resource_id: str | None = None
    provider_id: str
    type: Literal["scoring_function"] = "scoring_function"
    description: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    return_type: dict[str, Any] = Field(default_factory=lambda: {"type": "number"})
    params: ScoringFnParams | None = None


class ScoringFnList(BaseModel):
    """``GET /v1/scoring-functions``."""

    data: list[ScoringFn]


class ScoreRequest(BaseModel):
    """``POST /v1/scoring/score``."""

    input_rows: list[dict[str, Any]]
    scoring_functions: dict[str, ScoringFnParams | None]


class ScoreBatchRequest(BaseModel):
    """``POST /v1/scoring/score-batch``."""

    dataset_id: str
    scoring_functions: dict[str, ScoringFnParams | None]
    save_results_dataset: bool = False


class ScoringResult(BaseModel):
    """One function's scores: one dict per row, and the aggregates."""

    score_rows: list[dict[str, Any]]
    aggregated_results: dict[str, Any]


class ScoreResponse(BaseModel):
    """``POST /v1/scoring/score``: results by scoring function id."""

    results: dict[str, ScoringResult]


class ScoreBatchResponse(BaseModel):
    """``POST /v1/scoring/score-batch``."""

    dataset_id: str | None = None
    results: dict[str, ScoringResult]
