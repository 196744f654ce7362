"""Config of scoring's ``inline::basic``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from corral.config.base import ConfigModel


class BasicScoringConfig(ConfigModel):
    """Deterministic scoring functions: equality, subset_of, regex parsers."""

    max_rows: int = Field(100_000, ge=1)
    """Rows one scoring call may score (a longer request is refused with a 400)."""

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {"max_rows": 100000}
