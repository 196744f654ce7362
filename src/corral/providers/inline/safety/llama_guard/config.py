"""Config of ``inline::llama-guard`` (field names as in Llama Stack)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from corral.config.base import ConfigModel

CATEGORY_CODES = tuple(f"S{i}" for i in range(1, 15))


def check_codes(value: list[str]) -> list[str]:
    """Reject anything but S1..S14."""
    unknown = [c for c in value if c not in CATEGORY_CODES]
    if unknown:
        raise ValueError(f"unknown categories {unknown}; use codes S1 to S14")
    return value


class LlamaGuardConfig(ConfigModel):
    """Llama Guard 3 through a model served by any inference provider."""

    excluded_categories: list[str] = Field(default_factory=list)
    """Category codes (`S1`..`S14`) left out of the policy; a shield's `excluded_categories` param
    adds to them.
    """

    @field_validator("excluded_categories")
    @classmethod
    def _known_codes(cls, value: list[str]) -> list[str]:
        return check_codes(value)

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {"excluded_categories": []}
