"""`BasicScoring`: equality, subset_of and regex-parser scoring of ``generated_answer`` rows.

* ``equality``: 1.0 when ``expected_answer == generated_answer`` (exact, no
  normalisation), else 0.0.
* ``subset_of``: 1.0 when the expected answer occurs in the generated one.
* ``regex_parser``: the first capture group of the first of ``parsing_regexes``
  that matches the generated answer is compared with the expected answer
  (equal after stripping spaces); the multiple-choice built-in looks for
  ``Answer: X`` (and the same cue in other languages) with X one of A-D.
Each row scores ``{"score": 0.0 | 1.0}`` (regex parsers add ``parsed_answer``);
the default aggregate is ``accuracy``.
"""

from __future__ import annotations

import re
from typing import Any

from corral.apis.context import RequestContext
from corral.apis.scoring.api import ScoringFnTarget
from corral.apis.scoring.models import ScoringResult
from corral.errors import InvalidParameter
from corral.providers.inline.scoring.aggregation import aggregate, aggregations, answer_columns

_ANSWER_CUES = [
    r"The best answer is ", r"Answer\s*:", r"Antwort\s*:", r"Respuesta\s*:", r"Risposta\s*:",
    r"Réponse\s*:", r"Resposta\s*:", r"Jawaban\s*:", r"答案\s*[:：]", r"答\s*[:：]",
    r"回答\s*[:：]", r"答え\s*[:：]", r"답\s*:", r"정답\s*:", r"उत्तर\s*:", r"الإجابة:",
]  # fmt: skip
MULTIPLE_CHOICE = [rf"(?i){cue}\s*([A-D])" for cue in _ANSWER_CUES]
KINDS = ("equality", "subset-of", "regex-parser")


class BasicScoring:
    """The ``inline::basic`` scoring provider."""

    def __init__(self, max_rows: int) -> None:
        self._max_rows = max_rows
        self._compiled: dict[str, re.Pattern[str]] = {}

    def builtin_functions(self) -> list[ScoringFnTarget]:
        """equality, subset_of and the multiple-choice regex parser."""
        accuracy = {"aggregation_functions": ["accuracy"]}
        return [
            ScoringFnTarget(
                "basic::equality", "equality", {"type": "basic", **accuracy},
                "1 when the generated answer equals the expected answer exactly",
            ),
            ScoringFnTarget(
                "basic::subset_of", "subset-of", {"type": "basic", **accuracy},
                "1 when the expected answer occurs in the generated answer",
            ),
            ScoringFnTarget(
                "basic::regex_parser_multiple_choice_answer", "regex-parser",
                {"type": "regex_parser", "parsing_regexes": MULTIPLE_CHOICE, **accuracy},
                "Extract the letter after 'Answer:' (A-D) and compare it with the expected answer",
            ),
        ]  # fmt: skip

    def check_function(self, target: ScoringFnTarget) -> None:
        """A known kind; a regex parser's regexes must compile and have a group."""
        params = target.params or {}
        kind = target.kind
        if kind not in KINDS:
            raise InvalidParameter(
                "provider_scoring_fn_id", f"inline::basic implements {', '.join(KINDS)}"
            )
        if kind == "regex-parser":
            regexes = params.get("parsing_regexes") or []
            if not regexes:
                raise InvalidParameter("params.parsing_regexes", "at least one regex is required")
            for regex in regexes:
                self._regex(regex, "params.parsing_regexes")

    def _regex(self, text: str, param: str) -> re.Pattern[str]:
        found = self._compiled.get(text)
        if found is None:
            try:
                found = re.compile(text)
            except re.error as exc:
                raise InvalidParameter(param, f"{text!r} is not a valid regex: {exc}") from None
            if found.groups < 1:
                raise InvalidParameter(param, f"{text!r} needs a capture group for the answer")
            self._compiled[text] = found
        return found

    async def score(
        self, rows: list[dict[str, Any]], target: ScoringFnTarget, ctx: RequestContext
    ) -> ScoringResult:
        """Score each row, then aggregate (accuracy unless the params say otherwise)."""
        self.check_function(target)
        if len(rows) > self._max_rows:
            raise InvalidParameter("input_rows", f"at most {self._max_rows} rows (max_rows)")
        scored = [self._row(row, i, target) for i, row in enumerate(rows)]
        functions = aggregations(target.params, ["accuracy"])
        return ScoringResult(score_rows=scored, aggregated_results=aggregate(scored, functions))

    def _row(self, row: dict[str, Any], index: int, target: ScoringFnTarget) -> dict[str, Any]:
        expected, generated = answer_columns(row, index)
        if target.kind == "equality":
            return {"score": 1.0 if expected == row["generated_answer"] else 0.0}
        if target.kind == "subset-of":
            return {"score": 1.0 if str(expected) in generated else 0.0}
        parsed = None
        for text in (target.params or {}).get("parsing_regexes") or []:
            match = self._regex(text, "params.parsing_regexes").search(generated)
            if match:
                parsed = match.group(1)
                break
        correct = parsed is not None and parsed.strip() == str(expected).strip()
        return {"score": 1.0 if correct else 0.0, "parsed_answer": parsed}

    async def shutdown(self) -> None:
        """Nothing to release."""
