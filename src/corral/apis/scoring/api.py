"""What a scoring provider implements (``providers.scoring``, e.g. ``inline::basic``).

Scoring functions are registry resources (the scoring router checks
access_policy and finds each function's provider); a provider declares the
functions it has built in, vets the ones users register, and scores rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from corral.apis.context import RequestContext
from corral.apis.scoring.models import ScoringResult


@dataclass(frozen=True)
class ScoringFnTarget:
    """A scoring function as its provider sees it.

    `kind` is the provider's implementation (``provider_scoring_fn_id``), and
    `params` the function's own params merged with a request's.
    """

    scoring_fn_id: str
    kind: str
    params: dict[str, Any] | None = None
    description: str | None = None
    return_type: dict[str, Any] = field(default_factory=lambda: {"type": "number"})


@runtime_checkable
class ScoringProvider(Protocol):
    """Scores rows with the functions it implements."""

    def builtin_functions(self) -> list[ScoringFnTarget]:
        """The functions registered for this provider at startup."""
        ...

    def check_function(self, target: ScoringFnTarget) -> None:
        """Vet a function a user registers (`InvalidParameter` naming the problem)."""
        ...

    async def score(
        self, rows: list[dict[str, Any]], target: ScoringFnTarget, ctx: RequestContext
    ) -> ScoringResult:
        """Score each row and aggregate."""
        ...

    async def shutdown(self) -> None:
        """Release resources."""
        ...
