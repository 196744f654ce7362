"""Config of scoring's ``inline::llm-as-judge``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from corral.config.base import ConfigModel


class LLMAsJudgeScoringConfig(ConfigModel):
    """A served chat model scores each row."""

    judge_model: str | None = None
    """The judge of the built-in `llm-as-judge::base` when a request names none (any model the
    inference router serves, e.g. `llama-cpp/SmolLM2-135M-Instruct`)."""
    max_concurrent_judgements: int = Field(8, ge=1)
    """Rows judged at the same time within one scoring request."""
    max_judge_tokens: int = Field(128, ge=8)
    """Longest answer asked of the judge (the score comes first; the rest is its reason)."""

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {"judge_model": "${env.JUDGE_MODEL:=}"}
