"""The base class of every run-config and provider-config model.

Config models forbid unknown keys (a typo must never be silently ignored) and
are frozen once validated (the running server never mutates its config).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class ConfigModel(BaseModel):
    """Strict, immutable pydantic model for configuration sections."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, use_attribute_docstrings=True
    )

    #: Field names whose values are secrets: redacted in `config show`, logs and /v1/providers.
    secret_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section as it would appear in a run config."""
        return {}
