"""Config of scoring's ``inline::basic`` (nothing to set)."""

from __future__ import annotations

from typing import Any

from corral.config.base import ConfigModel


class BasicScoringConfig(ConfigModel):
    """Deterministic scoring functions: equality, subset_of, regex parsers."""

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {}
