"""``inline::basic``: deterministic scoring functions (equality, subset_of, regex parsers).

Built in: ``basic::equality``, ``basic::subset_of`` and
``basic::regex_parser_multiple_choice_answer``; users register more regex
parsers (``params: {type: regex_parser, parsing_regexes: [...]}``) or other
ids for the same kinds (``provider_scoring_fn_id: equality``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.inline.scoring.basic.config import BasicScoringConfig

if TYPE_CHECKING:
    from corral.providers.inline.scoring.basic.provider import BasicScoring

SPEC = ProviderSpec(
    api=Api.scoring,
    provider_type="inline::basic",
    config=BasicScoringConfig,
    description="Deterministic scoring: exact equality, expected answer contained in the "
    "generated one, and regex answer extraction (multiple-choice letters built in).",
    optional_api_dependencies=(Api.datasetio,),
)


async def create(config: BasicScoringConfig, deps: ProviderDeps) -> BasicScoring:
    """The scorers need nothing but their limit."""
    from corral.providers.inline.scoring.basic.provider import BasicScoring

    return BasicScoring(config.max_rows)
