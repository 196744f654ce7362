"""`LLMAsJudgeScoring`: a judge model reads each row and answers with a score.

The prompt is the function's ``prompt_template`` (else `DEFAULT_PROMPT`),
filled with the row's columns by name (``{input_query}``,
``{generated_answer}``, ``{expected_answer}``, any other column; a missing
one is empty). It is sent as one user message to ``judge_model`` with
temperature 0 and at most ``max_judge_tokens`` tokens of answer. The score
is the first capture group of the first of ``judge_score_regexes`` (else
`DEFAULT_REGEXES`) that matches the answer, as a number when it is one; a row
whose answer matches none scores None and keeps the answer as
``judge_feedback``. The default aggregate is ``average``.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from typing import Any

from corral.apis.context import RequestContext
from corral.apis.scoring.api import ScoringFnTarget
from corral.apis.scoring.models import ScoringResult
from corral.core.routers.inference import InferenceRouter
from corral.errors import InvalidParameter
from corral.providers.inline.scoring.aggregation import aggregate, aggregations
from corral.providers.inline.scoring.llm_as_judge.config import LLMAsJudgeScoringConfig

DEFAULT_PROMPT = """You are a strict grader. Compare the generated answer with the expected answer.

Question: {input_query}
Expected answer: {expected_answer}
Generated answer: {generated_answer}

Give a score from 0 (wrong) to 5 (fully correct and complete). Reply with one line
"Score: <number>" followed by one sentence explaining the score."""
DEFAULT_REGEXES = [r"(?i)score\s*[:=]\s*([0-9]+(?:\.[0-9]+)?)", r"\b([0-5])\b"]


class LLMAsJudgeScoring:
    """The ``inline::llm-as-judge`` scoring provider."""

    def __init__(self, config: LLMAsJudgeScoringConfig, inference: InferenceRouter) -> None:
        self._config = config
        self._inference = inference

    def builtin_functions(self) -> list[ScoringFnTarget]:
        """``llm-as-judge::base``: the default prompt and parsing, the configured judge."""
        params: dict[str, Any] = {"type": "llm_as_judge", "aggregation_functions": ["average"]}
        if self._config.judge_model:
            params["judge_model"] = self._config.judge_model
        return [
            ScoringFnTarget(
                "llm-as-judge::base", "llm-as-judge", params,
                "A judge model grades the generated answer against the expected one (0-5)",
            )
        ]  # fmt: skip

    def check_function(self, target: ScoringFnTarget) -> None:
        """A judge model must be named; the regexes must compile."""
        params = target.params or {}
        if target.kind != "llm-as-judge":
            raise InvalidParameter(
                "provider_scoring_fn_id", "inline::llm-as-judge implements llm-as-judge"
            )
        if not params.get("judge_model"):
            raise InvalidParameter(
                "params.judge_model", "name the judge model (any served chat model)"
            )
        for text in params.get("judge_score_regexes") or []:
            try:
                re.compile(text)
            except re.error as exc:
                raise InvalidParameter("params.judge_score_regexes", f"{text!r}: {exc}") from None

    async def score(
        self, rows: list[dict[str, Any]], target: ScoringFnTarget, ctx: RequestContext
    ) -> ScoringResult:
        """Ask the judge about each row (a few at a time) and aggregate."""
        self.check_function(target)
        params = target.params or {}
        self._inference.models.resolve(params["judge_model"], ctx.user, "llm")  # 404 up front
        slots = asyncio.Semaphore(self._config.max_concurrent_judgements)

        async def judged(row: dict[str, Any]) -> dict[str, Any]:
            async with slots:
                return await self._judge(row, params, ctx)

        scored = list(await asyncio.gather(*(judged(r) for r in rows)))
        functions = aggregations(params, ["average"])
        return ScoringResult(score_rows=scored, aggregated_results=aggregate(scored, functions))

    async def _judge(
        self, row: dict[str, Any], params: dict[str, Any], ctx: RequestContext
    ) -> dict[str, Any]:
        template = params.get("prompt_template") or DEFAULT_PROMPT
        prompt = template.format_map(defaultdict(str, {k: str(v) for k, v in row.items()}))
        body = {
            "model": params["judge_model"],
            "messages": [{"role": "user", "content": prompt}],
            "temperature": 0,
            "max_tokens": self._config.max_judge_tokens,
        }
        answer = await self._inference.chat_completion(body, ctx, store=False)
        assert isinstance(answer, dict)  # not streamed: the body does not ask for it
        text = str(answer["choices"][0]["message"].get("content") or "")
        return {"score": parse_score(text, params.get("judge_score_regexes") or DEFAULT_REGEXES),
                "judge_feedback": text}  # fmt: skip

    async def shutdown(self) -> None:
        """Nothing to release."""


def parse_score(text: str, regexes: list[str]) -> float | str | None:
    """The first group of the first regex that matches: a number when it is one."""
    for regex in regexes:
        match = re.search(regex, text)
        if match:
            value = match.group(1) if match.groups() else match.group(0)
            try:
                return float(value)
            except ValueError:
                return value
    return None
