"""``inline::llm-as-judge``: scoring by a judge model served through corral's inference router.

The prompt, the score parsing and the aggregation are documented in
docs/evaluation.md ("LLM as judge").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.inline.scoring.llm_as_judge.config import LLMAsJudgeScoringConfig

if TYPE_CHECKING:
    from corral.providers.inline.scoring.llm_as_judge.provider import LLMAsJudgeScoring

SPEC = ProviderSpec(
    api=Api.scoring,
    provider_type="inline::llm-as-judge",
    config=LLMAsJudgeScoringConfig,
    description="Scores each row by asking a judge model (any chat model corral serves) and "
    "parsing the score from its answer.",
    api_dependencies=(Api.inference,),
    optional_api_dependencies=(Api.datasetio,),
)


async def create(config: LLMAsJudgeScoringConfig, deps: ProviderDeps) -> LLMAsJudgeScoring:
    """Wire the judge to the inference router."""
    from corral.core.routers.inference import INFERENCE
    from corral.providers.inline.scoring.llm_as_judge.provider import LLMAsJudgeScoring

    return LLMAsJudgeScoring(config, deps.routers.require(INFERENCE))
